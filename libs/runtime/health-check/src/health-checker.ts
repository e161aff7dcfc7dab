import type { HealthCheck } from '@gw/api-schema';
import type { Upstream } from '@gw/upstreams';
import { silentLogger, type Logger } from '@gw/logging';
import { probe, probeTargetOf, type ProbeResult, type ProbeTarget } from './probe.js';

/** One check result, for metrics. */
export interface CheckRecord {
  readonly upstream: string;
  readonly target: string;
  readonly result: ProbeResult;
}

export interface HealthCheckerOptions {
  readonly logger?: Logger;
  /** Called after every check (a metrics hook: count checks, observe durations). */
  readonly onCheck?: (record: CheckRecord) => void;
  readonly userAgent?: string;
  /** Spreads the first check of each target over [0, min(interval, this)) so a table swap does not probe everything at once. */
  readonly firstCheckSpreadMs?: number;
}

interface Prober {
  /** The handle results go to: the API's upstream in the config in use (it follows each update). */
  upstream: Upstream;
  readonly url: string;
  readonly target: ProbeTarget;
  readonly options: HealthCheck;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  lastPassed: boolean | undefined;
}

/**
 * Active health checks for every target of every upstream that configures them. Call
 * `update` with the upstreams of each newly applied config: a target whose API, URL and
 * check settings are unchanged keeps its running prober (and its streak, which lives in
 * the target's health record), reporting from then on to the API's new handle; new ones
 * start, vanished ones stop. Results go straight to the upstream's health rules (the
 * thresholds). Checks of one target never overlap: the next starts `intervalMs` after the
 * previous one finished.
 */
export class HealthChecker {
  readonly #o: HealthCheckerOptions;
  readonly #logger: Logger;
  readonly #probers = new Map<string, Prober>();
  #stopped = false;

  constructor(options: HealthCheckerOptions) {
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Targets being checked. */
  get size(): number {
    return this.#probers.size;
  }

  /** Starts and stops probers so that exactly the checks these upstreams configure run. */
  update(upstreams: Iterable<Upstream>): void {
    if (this.#stopped) return;
    const wanted = new Map<string, { upstream: Upstream; url: string; options: HealthCheck }>();
    for (const up of upstreams) {
      const hc = up.definition.healthCheck;
      if (hc === null) continue;
      for (const t of up.definition.targets) wanted.set(`${up.name}\n${t.url}\n${JSON.stringify(hc)}`, { upstream: up, url: t.url, options: hc });
    }
    for (const [key, prober] of this.#probers) {
      if (!wanted.has(key)) {
        this.#stop(prober);
        this.#probers.delete(key);
      }
    }
    for (const [key, w] of wanted) {
      const running = this.#probers.get(key);
      if (running !== undefined) {
        running.upstream = w.upstream;
        continue;
      }
      let target: ProbeTarget;
      try {
        target = probeTargetOf(w.url, w.options.path);
      } catch (err) {
        this.#logger.warn({ upstream: w.upstream.name, target: w.url, err }, 'health check target is not checkable');
        continue;
      }
      const prober: Prober = { upstream: w.upstream, url: w.url, target, options: w.options, timer: undefined, stopped: false, lastPassed: undefined };
      this.#probers.set(key, prober);
      const spread = Math.min(w.options.intervalMs, this.#o.firstCheckSpreadMs ?? 1_000);
      this.#schedule(prober, Math.floor(Math.random() * spread));
    }
  }

  /** Stops every prober; checks in flight finish but report nothing. */
  stop(): void {
    this.#stopped = true;
    for (const prober of this.#probers.values()) this.#stop(prober);
    this.#probers.clear();
  }

  #stop(prober: Prober): void {
    prober.stopped = true;
    clearTimeout(prober.timer);
    prober.timer = undefined;
  }

  #schedule(prober: Prober, delayMs: number): void {
    prober.timer = setTimeout(() => void this.#run(prober), delayMs);
    // Checks never keep a stopping process alive.
    prober.timer.unref();
  }

  async #run(prober: Prober): Promise<void> {
    prober.timer = undefined;
    if (prober.stopped) return;
    const result = await probe(prober.target, prober.options.timeoutMs, this.#o.userAgent ?? 'gateway-health-check');
    if (prober.stopped) return;
    if (prober.lastPassed !== result.passed) {
      // Individual results, not transitions: those come from the thresholds (see UpstreamHealth).
      this.#logger.debug({ upstream: prober.upstream.name, target: prober.url, passed: result.passed, status: result.status, error: result.error }, 'health check result changed');
      prober.lastPassed = result.passed;
    }
    const upstream = prober.upstream;
    try {
      const i = upstream.indexOf(prober.url);
      if (i !== -1) upstream.health.reportCheck(i, result.passed);
      this.#o.onCheck?.({ upstream: upstream.name, target: prober.url, result });
    } catch (err) {
      this.#logger.error({ upstream: upstream.name, target: prober.url, err }, 'health check result handler failed');
    }
    this.#schedule(prober, prober.options.intervalMs);
  }
}
