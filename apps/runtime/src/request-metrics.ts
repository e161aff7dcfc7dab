import type { RequestObserver } from '@gw/proxy';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Upper bounds (seconds) of the request duration histogram: sub-millisecond to 10 s. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = Object.freeze([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

const DURATION_NAME = 'gateway_http_request_duration_seconds';
const DURATION_HELP = 'Time from the gateway receiving a request to its response closing, by API ("" when none matched)';

/** What one API's requests added up to since start. */
class ApiCounts {
  /** Requests by status code (100–599; anything else counts under 0, shown as "other"). */
  readonly byStatus = new Map<number, number>();
  /** Non-cumulative bucket counts; the last slot is +Inf. */
  readonly buckets = new Float64Array(REQUEST_DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;
}

/** One exposition sample, in the shape prom-client's registry renders. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels: Record<string, never>;
  value: number;
}

/**
 * A histogram whose observations are counted elsewhere (plain numbers on the hot path) and
 * turned into samples only when scraped: it overrides the method prom-client's registry
 * reads a histogram through (`getForPromString`; `get` goes through it too), so nothing is
 * ever `observe`d on it. runtime-metrics.spec.ts checks the rendered text.
 */
class PrecountedHistogram extends Histogram<'api'> {
  readonly #counts: () => ReadonlyMap<string, ApiCounts>;

  constructor(registers: Registry[], counts: () => ReadonlyMap<string, ApiCounts>) {
    super({ name: DURATION_NAME, help: DURATION_HELP, labelNames: ['api'], buckets: [...REQUEST_DURATION_BUCKETS], registers });
    this.#counts = counts;
  }

  async getForPromString(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values: Sample[] = [];
    for (const [api, c] of this.#counts()) {
      let cumulative = 0;
      for (let i = 0; i < c.buckets.length; i++) {
        cumulative += c.buckets[i]!;
        const le = i < REQUEST_DURATION_BUCKETS.length ? REQUEST_DURATION_BUCKETS[i]! : '+Inf';
        values.push({ metricName: `${DURATION_NAME}_bucket`, labels: { api, le }, sharedLabels: {}, value: cumulative });
      }
      values.push({ metricName: `${DURATION_NAME}_sum`, labels: { api }, sharedLabels: {}, value: c.sum });
      values.push({ metricName: `${DURATION_NAME}_count`, labels: { api }, sharedLabels: {}, value: c.count });
    }
    return { name: DURATION_NAME, help: DURATION_HELP, type: 'histogram', values, aggregator: 'sum' };
  }
}

/**
 * Per-API request counts by status code and request durations, the runtime's traffic
 * metrics. Each request costs a map lookup and a few additions (about 20 ns; prom-client's
 * own `inc` and `observe` cost about 0.5 µs together); the Prometheus samples are built at
 * scrape time. Series of an API removed from the config go with `retainApis`.
 */
export class RequestMetrics implements RequestObserver {
  readonly #byApi = new Map<string, ApiCounts>();

  constructor(register: Registry) {
    const registers = [register];
    const byApi = this.#byApi;
    new Counter({
      name: 'gateway_http_requests_total',
      help: 'Requests answered, by API ("" when none matched) and status code',
      labelNames: ['api', 'code'],
      registers,
      collect() {
        this.reset();
        for (const [api, c] of byApi) {
          for (const [status, n] of c.byStatus) this.inc({ api, code: status === 0 ? 'other' : String(status) }, n);
        }
      },
    });
    new PrecountedHistogram(registers, () => byApi);
  }

  /** Forgets the counts of APIs not in `live` (deleted from the config); unmatched requests (`""`) stay. */
  retainApis(live: ReadonlySet<string>): void {
    for (const api of this.#byApi.keys()) if (api !== '' && !live.has(api)) this.#byApi.delete(api);
  }

  requestEnded(api: string, status: number, seconds: number): void {
    let c = this.#byApi.get(api);
    if (c === undefined) {
      c = new ApiCounts();
      this.#byApi.set(api, c);
    }
    const code = status >= 100 && status <= 599 ? status : 0;
    c.byStatus.set(code, (c.byStatus.get(code) ?? 0) + 1);
    let i = 0;
    while (i < REQUEST_DURATION_BUCKETS.length && seconds > REQUEST_DURATION_BUCKETS[i]!) i++;
    c.buckets[i]!++;
    c.sum += seconds;
    c.count++;
  }
}
