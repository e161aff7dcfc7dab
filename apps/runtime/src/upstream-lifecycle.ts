import { UpstreamRegistry, upstreamOptionsFromSnapshot, type HealthTransition } from '@gw/upstreams';
import { HealthChecker } from '@gw/health-check';
import type { Logger } from '@gw/logging';
import type { RouteTable } from '@gw/routing';
import type { Registry } from 'prom-client';
import { UpstreamMetrics } from './upstream-metrics.js';

/**
 * The runtime's upstream state and active health checks, following the routing table:
 * after every table swap `sync` resolves each API's upstream (keeping the health of
 * targets that stay) and starts/stops health checks to match. Transitions are logged
 * (ejections and unhealthy targets as warnings) and counted.
 */
export class UpstreamLifecycle {
  readonly registry: UpstreamRegistry;
  readonly metrics: UpstreamMetrics;
  readonly #checker: HealthChecker;
  readonly #logger: Logger;
  #table: RouteTable | undefined;

  constructor(options: { zone: string; logger: Logger; register: Registry }) {
    this.#logger = options.logger;
    this.metrics = new UpstreamMetrics(options.register, () => this.registry);
    this.registry = new UpstreamRegistry({
      localZone: options.zone,
      onTransition: (t) => this.#onTransition(t),
      onBreakerTransition: (api, t) => {
        this.metrics.breaker(api, t);
        const fields = { api, from: t.from, to: t.to, failures: t.failures, requests: t.requests };
        if (t.to === 'open') this.#logger.warn(fields, 'circuit breaker opened');
        else this.#logger.info(fields, `circuit breaker ${t.to}`);
      },
    });
    this.#checker = new HealthChecker({
      report: (api, target, passed) => this.registry.reportCheck(api, target, passed),
      onCheck: (c) => this.metrics.check(c),
      logger: options.logger,
    });
  }

  /** Call after every table swap; a table already synced is a no-op. */
  sync(table: RouteTable | undefined): void {
    if (table === undefined || table === this.#table) return;
    this.#table = table;
    const upstreams = this.registry.sync(table.routes.map((r) => ({ name: r.name, options: upstreamOptionsFromSnapshot(r.upstream) })));
    this.#checker.update(upstreams);
  }

  stop(): void {
    this.#checker.stop();
  }

  #onTransition(t: HealthTransition): void {
    this.metrics.transition(t);
    const fields = { api: t.upstream, target: t.target, zone: t.zone, event: t.event, reason: t.reason, ejectionMs: t.ejectionMs, timesEjected: t.timesEjected };
    if (t.event === 'ejected' || t.event === 'unhealthy') this.#logger.warn(fields, `upstream target ${t.event}`);
    else this.#logger.info(fields, `upstream target ${t.event}`);
  }
}
