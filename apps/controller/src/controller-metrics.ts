import type { ConfigServerCallbacks, RuntimeSession } from '@gw/config-server';
import { collectProcessMetrics } from '@gw/app-kit/process-metrics';
import { ErrorCodes } from '@gw/errors';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ControllerMetricsSources {
  /** Open streams of runtimes that identified themselves. */
  sessions: () => readonly Readonly<RuntimeSession>[];
  /** Fleet-status writes not yet in the database. */
  fleetPending: () => number;
  /** The snapshot this replica serves. */
  snapshot: () => { version: number; epoch: number } | undefined;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

/**
 * The event-loop delay of a replica (issue 16: a fan-out to hundreds of runtimes must not
 * block the loop). prom-client's default metrics already measure it with
 * perf_hooks.monitorEventLoopDelay (10 ms resolution), so the controller exposes those
 * rather than a second monitor of its own: gauges over the window since the previous
 * scrape (each scrape resets the histogram), in seconds. An idle loop reads about the
 * resolution (~0.010); a loop blocked for 200 ms reads max ≥ 0.2. bench:fleet scrapes right
 * before a deploy and right after the fleet applied it, so the window is the fan-out.
 */
export const EVENT_LOOP_DELAY_METRICS = {
  p50: 'nodejs_eventloop_lag_p50_seconds',
  p90: 'nodejs_eventloop_lag_p90_seconds',
  p99: 'nodejs_eventloop_lag_p99_seconds',
  max: 'nodejs_eventloop_lag_max_seconds',
  mean: 'nodejs_eventloop_lag_mean_seconds',
} as const;

/** NACK codes come from the runtime: anything outside our catalogue is one label value, so a peer cannot grow the series. */
export function nackCodeLabel(code: string): string {
  return KNOWN_CODES.has(code) ? code : 'other';
}

/**
 * The controller's Prometheus metrics, in a registry of its own (never prom-client's
 * global one, so two controllers in one process, as in tests, do not collide). Labels
 * stay low-cardinality: zones and error codes, never runtime ids.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly #feedVersion: Gauge;
  readonly #feedVersions: Counter;
  readonly #compiles: Counter;
  readonly #compileSeconds: Histogram;
  readonly #refreshErrors: Counter;
  readonly #responses: Counter;
  readonly #acks: Counter;
  readonly #nacks: Counter<'code'>;
  readonly #streamOpens: Counter;
  readonly #fleetWrites: Counter<'result'>;
  readonly #fanOut: Histogram;

  /** Pass to the ConfigServer (through combineCallbacks with the fleet recorder). */
  readonly callbacks: ConfigServerCallbacks;

  constructor(sources: ControllerMetricsSources) {
    const registers = [this.registry];
    collectProcessMetrics(this.registry);
    // Read at scrape time; -1 until the first snapshot is compiled (version 0 is a valid config).
    new Gauge({
      name: 'gateway_controller_config_version',
      help: 'Config version of the snapshot this replica serves (-1 before the first compile)',
      registers,
      collect() {
        this.set(sources.snapshot()?.version ?? -1);
      },
    });
    new Gauge({
      name: 'gateway_controller_config_epoch',
      help: 'Config epoch of the snapshot this replica serves (-1 before the first compile)',
      registers,
      collect() {
        this.set(sources.snapshot()?.epoch ?? -1);
      },
    });
    this.#feedVersion = new Gauge({ name: 'gateway_controller_change_feed_version', help: 'Newest config version the change feed reported', registers });
    this.#feedVersions = new Counter({
      name: 'gateway_controller_change_feed_versions_total',
      help: 'Newer config versions the change feed reported (a burst of deploys may coalesce into one)',
      registers,
    });
    // mode: `full` (start-up, epoch change: the whole state) or `incremental` (only what changed).
    this.#compiles = new Counter({ name: 'gateway_controller_snapshot_compiles_total', help: 'Snapshots compiled, by mode (full or incremental)', labelNames: ['mode'], registers });
    this.#compileSeconds = new Histogram({
      name: 'gateway_controller_snapshot_compile_duration_seconds',
      help: 'Time to compile the desired state into a snapshot (reading it and hashing included), by mode (full or incremental)',
      labelNames: ['mode'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#refreshErrors = new Counter({
      name: 'gateway_controller_snapshot_refresh_errors_total',
      help: 'Snapshot refreshes that failed (the database was unreachable); the last snapshot keeps streaming',
      registers,
    });
    new Gauge({
      name: 'gateway_controller_runtime_streams',
      help: 'Open config streams of identified runtimes, by runtime zone',
      labelNames: ['zone'],
      registers,
      collect() {
        this.reset();
        const byZone = new Map<string, number>();
        for (const s of sources.sessions()) byZone.set(s.zone, (byZone.get(s.zone) ?? 0) + 1);
        for (const [zone, n] of byZone) this.set({ zone }, n);
      },
    });
    this.#streamOpens = new Counter({ name: 'gateway_controller_runtime_stream_opens_total', help: 'Config streams opened by runtimes', registers });
    this.#responses = new Counter({ name: 'gateway_controller_config_responses_total', help: 'Snapshots sent to runtimes', registers });
    this.#acks = new Counter({ name: 'gateway_controller_config_acks_total', help: 'Snapshots runtimes ACKed', registers });
    this.#nacks = new Counter({
      name: 'gateway_controller_config_nacks_total',
      help: 'Snapshots runtimes NACKed, by error code (codes outside the catalogue count as "other")',
      labelNames: ['code'],
      registers,
    });
    new Gauge({
      name: 'gateway_controller_fleet_status_pending',
      help: 'Runtimes whose status change is not yet written to PostgreSQL',
      registers,
      collect() {
        this.set(sources.fleetPending());
      },
    });
    this.#fleetWrites = new Counter({
      name: 'gateway_controller_fleet_status_writes_total',
      help: 'Fleet-status write rounds, by result (ok or error)',
      labelNames: ['result'],
      registers,
    });

    this.#fanOut = new Histogram({
      name: 'gateway_controller_config_fanout_duration_seconds',
      help: 'From a newer snapshot until every config stream due it had its turn to send (streams are served in slices that yield to the event loop)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });

    this.callbacks = {
      onStreamOpen: () => this.#streamOpens.inc(),
      onResponseSent: () => this.#responses.inc(),
      onAck: () => this.#acks.inc(),
      onNack: (session) => this.#nacks.inc({ code: nackCodeLabel(session.lastNack?.code ?? '') }),
    };
  }

  changeFeedVersion(version: number): void {
    this.#feedVersion.set(version);
    this.#feedVersions.inc();
  }

  compiled(durationMs: number, full: boolean): void {
    const mode = full ? 'full' : 'incremental';
    this.#compiles.inc({ mode });
    this.#compileSeconds.observe({ mode }, durationMs / 1000);
  }

  refreshFailed(): void {
    this.#refreshErrors.inc();
  }

  /** A fan-out finished (ConfigServer's onFanOut). */
  fannedOut(ms: number): void {
    this.#fanOut.observe(ms / 1000);
  }

  fleetWrite(ok: boolean): void {
    this.#fleetWrites.inc({ result: ok ? 'ok' : 'error' });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
