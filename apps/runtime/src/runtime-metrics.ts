import { collectProcessMetrics } from '@gw/app-kit/process-metrics';
import { ErrorCodes } from '@gw/errors';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface RuntimeMetricsSources {
  /** What the runtime runs now (undefined before the first config). */
  applied: () => { version: number; epoch: number } | undefined;
  /** The config client's view of its controller stream. */
  controller: () => { connected: boolean; connects: number };
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

/**
 * The runtime's Prometheus metrics about its config, in a registry of its own (never
 * prom-client's global one). Nothing here runs per proxied request: counters move only
 * when a snapshot arrives, gauges are read at scrape time.
 */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly #applies: Counter;
  readonly #nacks: Counter<'code'>;
  readonly #applySeconds: Histogram;

  constructor(sources: RuntimeMetricsSources) {
    const registers = [this.registry];
    collectProcessMetrics(this.registry);
    new Gauge({
      name: 'gateway_runtime_config_version',
      help: 'Config version this runtime runs (-1 before the first config)',
      registers,
      collect() {
        this.set(sources.applied()?.version ?? -1);
      },
    });
    new Gauge({
      name: 'gateway_runtime_config_epoch',
      help: 'Config epoch this runtime runs (-1 before the first config)',
      registers,
      collect() {
        this.set(sources.applied()?.epoch ?? -1);
      },
    });
    this.#applies = new Counter({
      name: 'gateway_runtime_config_applies_total',
      help: 'Snapshots from a controller this runtime accepted (and ACKed)',
      registers,
    });
    this.#nacks = new Counter({
      name: 'gateway_runtime_config_nacks_total',
      help: 'Snapshots this runtime refused (NACKed), by error code',
      labelNames: ['code'],
      registers,
    });
    this.#applySeconds = new Histogram({
      name: 'gateway_runtime_config_apply_duration_seconds',
      help: 'From handing a received snapshot to the runtime to the routing table swap: validation and table build',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    let seenConnects = 0;
    new Counter({
      name: 'gateway_runtime_controller_connects_total',
      help: 'Config streams opened to controllers (the first one, then one per reconnect or failover)',
      registers,
      collect() {
        const connects = sources.controller().connects;
        if (connects > seenConnects) this.inc(connects - seenConnects);
        seenConnects = Math.max(seenConnects, connects);
      },
    });
    new Gauge({
      name: 'gateway_runtime_controller_connected',
      help: '1 while a controller stream is up (a snapshot or the controller headers arrived), else 0',
      registers,
      collect() {
        this.set(sources.controller().connected ? 1 : 0);
      },
    });
  }

  /** A snapshot was accepted; `durationMs` from receiving it to the swap. */
  applied(durationMs: number): void {
    this.#applies.inc();
    this.#applySeconds.observe(durationMs / 1000);
  }

  /** A snapshot was refused with `code` (codes outside the catalogue count as "other"). */
  rejected(code: string): void {
    this.#nacks.inc({ code: KNOWN_CODES.has(code) ? code : 'other' });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
