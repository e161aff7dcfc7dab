import { systemClock, type Clock, type Random } from './clock.js';
import type { BreakerTransition } from './circuit-breaker.js';
import type { UpstreamOptions } from './options.js';
import { TargetHealth, type HealthListener } from './target-health.js';
import { Upstream } from './upstream.js';

export interface UpstreamRegistryOptions {
  /** This runtime's zone (`ZONE`), for zone-aware balancing. */
  readonly localZone?: string | undefined;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Every health transition of every target (log it, count it). */
  readonly onTransition?: HealthListener;
  readonly onBreakerTransition?: (upstream: string, transition: BreakerTransition) => void;
}

/**
 * Every API's `Upstream`, by API name, kept across routing-table swaps:
 * - an API whose upstream settings did not change keeps its `Upstream` as is (balancer
 *   position, breaker, budget, health);
 * - an API whose settings changed gets a new `Upstream`, which keeps the health (active
 *   check streak, ejection) of every target URL it still has; requests in flight finish
 *   on the old one, so for a moment the breaker may admit up to twice its limit;
 * - an API that is gone is forgotten, with its targets' health.
 */
export class UpstreamRegistry {
  readonly #byName = new Map<string, { fingerprint: string; upstream: Upstream }>();
  readonly #localZone: string | undefined;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #onTransition: HealthListener | undefined;
  readonly #onBreakerTransition: ((upstream: string, transition: BreakerTransition) => void) | undefined;

  constructor(options: UpstreamRegistryOptions = {}) {
    this.#localZone = options.localZone;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#onTransition = options.onTransition;
    this.#onBreakerTransition = options.onBreakerTransition;
  }

  get localZone(): string | undefined {
    return this.#localZone;
  }

  /** The `Upstream` for API `name` with these settings, reusing what can be reused. */
  resolve(name: string, options: UpstreamOptions): Upstream {
    const fingerprint = JSON.stringify(options);
    const known = this.#byName.get(name);
    if (known !== undefined && known.fingerprint === fingerprint) return known.upstream;
    const previous = new Map<string, TargetHealth>();
    if (known !== undefined) for (const t of known.upstream.health.targets) previous.set(t.url, t);
    const targets = options.targets.map((t) => {
      const kept = previous.get(t.url) ?? new TargetHealth(name, t.url);
      // Settings that were switched off must not leave their verdict behind.
      if (options.healthCheck === null) {
        kept.activeHealthy = true;
        kept.checkFailures = 0;
        kept.checkSuccesses = 0;
      }
      if (options.outlierDetection === null) {
        kept.ejected = false;
        kept.failures = 0;
      }
      return kept;
    });
    const upstream = new Upstream(name, options, targets, {
      localZone: this.#localZone,
      clock: this.#clock,
      random: this.#random,
      onTransition: this.#onTransition,
      onBreakerTransition: this.#onBreakerTransition,
    });
    this.#byName.set(name, { fingerprint, upstream });
    return upstream;
  }

  /** The current `Upstream` of API `name`. */
  get(name: string): Upstream | undefined {
    return this.#byName.get(name)?.upstream;
  }

  /** After a table swap: resolves every API of the new table and forgets the others. */
  sync(upstreams: Iterable<{ readonly name: string; readonly options: UpstreamOptions }>): Upstream[] {
    const keep = new Set<string>();
    const out: Upstream[] = [];
    for (const { name, options } of upstreams) {
      keep.add(name);
      out.push(this.resolve(name, options));
    }
    for (const name of [...this.#byName.keys()]) if (!keep.has(name)) this.#byName.delete(name);
    return out;
  }

  /** Every current `Upstream`, by API name order of insertion. */
  list(): Upstream[] {
    return [...this.#byName.values()].map((e) => e.upstream);
  }

  /** Records one active health check of target `url` of API `name` (ignored if either is gone). */
  reportCheck(name: string, url: string, passed: boolean): void {
    const upstream = this.get(name);
    if (upstream === undefined) return;
    const i = upstream.indexOf(url);
    if (i !== -1) upstream.health.reportCheck(i, passed);
  }
}
