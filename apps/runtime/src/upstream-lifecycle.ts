import { HealthChecker } from '@gw/health-check';
import type { Logger } from '@gw/logging';
import type { RuntimeConfig } from '@gw/runtime-config';
import { systemClock, type HealthTransition, type Upstream, type UpstreamContext } from '@gw/upstreams';
import type { Registry } from 'prom-client';
import { UpstreamMetrics } from './upstream-metrics.js';

/**
 * The runtime's upstream observability and active health checks. `context` is what the
 * config builder gives every upstream handle (this ZONE, and where health and breaker
 * transitions go: logged, ejections and unhealthy targets as warnings, and counted);
 * `follow` runs after each config swap so health checks probe exactly the targets of the
 * config in use. Gauges read the config in use at scrape time.
 */
export class UpstreamLifecycle {
  readonly context: UpstreamContext;
  readonly metrics: UpstreamMetrics;
  readonly #checker: HealthChecker;
  readonly #logger: Logger;
  /** The config the health checks follow now. */
  #followed: RuntimeConfig | undefined;

  constructor(options: { zone: string; logger: Logger; register: Registry; config: () => RuntimeConfig | undefined }) {
    this.#logger = options.logger;
    this.metrics = new UpstreamMetrics(options.register, () => upstreamsOf(options.config()));
    this.context = {
      localZone: options.zone,
      clock: systemClock,
      random: Math.random,
      onTransition: (t) => this.#onTransition(t),
      onBreakerTransition: (api, t) => {
        this.metrics.breaker(api, t);
        const fields = { api, from: t.from, to: t.to, failures: t.failures, requests: t.requests };
        if (t.to === 'open') this.#logger.warn(fields, 'circuit breaker opened');
        else this.#logger.info(fields, `circuit breaker ${t.to}`);
      },
    };
    this.#checker = new HealthChecker({ onCheck: (c) => this.metrics.check(c), logger: options.logger });
  }

  /**
   * After a config swap: health checks follow its upstreams. Proportional to the change:
   * unless an upstream handle with active checks appeared, changed or left, the running
   * probers already check exactly this config (an unchanged API keeps its very handle),
   * so the checker is not walked at all.
   */
  follow(config: RuntimeConfig): void {
    const before = this.#followed;
    this.#followed = config;
    if (before !== undefined && !checkedUpstreamsChanged(before, config)) return;
    this.#checker.update(upstreamsOf(config));
  }

  stop(): void {
    this.#checker.stop();
  }

  #onTransition(t: HealthTransition): void {
    this.metrics.transition(t);
    // `targetZone`, not `zone`: the runtime's own ZONE is bound to every log line as `zone`.
    const fields = { api: t.upstream, target: t.target, targetZone: t.zone, event: t.event, reason: t.reason, ejectionMs: t.ejectionMs, timesEjected: t.timesEjected };
    if (t.event === 'ejected' || t.event === 'unhealthy') this.#logger.warn(fields, `upstream target ${t.event}`);
    else this.#logger.info(fields, `upstream target ${t.event}`);
  }
}

/** Whether some upstream with active health checks (before or after) is not the same handle in both configs. */
function checkedUpstreamsChanged(before: RuntimeConfig, after: RuntimeConfig): boolean {
  const checked = (u: Upstream | undefined) => u !== undefined && u.definition.healthCheck !== null;
  for (const [name, api] of after.apis) {
    const old = before.apis.get(name)?.upstream;
    if (old !== api.upstream && (checked(api.upstream) || checked(old))) return true;
  }
  for (const [name, api] of before.apis) if (!after.apis.has(name) && checked(api.upstream)) return true;
  return false;
}

function upstreamsOf(config: RuntimeConfig | undefined): Upstream[] {
  return config === undefined ? [] : [...config.apis.values()].map((api) => api.upstream);
}
