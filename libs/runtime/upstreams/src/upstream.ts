import type { HashOn, UpstreamDefinition } from '@gw/api-schema';
import type { Clock, Random } from './clock.js';
import { CircuitBreaker, type BreakerTransition } from './circuit-breaker.js';
import { LoadBalancer } from './load-balancer.js';
import { RetryBudget } from './retry-budget.js';
import { RetryConditions } from './retry-policy.js';
import { TargetHealth, type HealthListener } from './target-health.js';
import { UpstreamHealth } from './upstream-health.js';
import { parseUpstreamTarget, type UpstreamTarget } from './upstream-target.js';

export interface UpstreamContext {
  /** This runtime's zone (`ZONE`), for zone-aware balancing. */
  readonly localZone: string | undefined;
  readonly clock: Clock;
  readonly random: Random;
  /** Every health transition of every target (log it, count it). */
  readonly onTransition?: HealthListener | undefined;
  readonly onBreakerTransition?: ((upstream: string, transition: BreakerTransition) => void) | undefined;
}

/**
 * The runtime state of one API's upstream, built from the API definition's `upstream`
 * block as it is (the schema's types, `null` for a feature that is off): who to send the
 * next try to, whether the breaker admits it, whether a retry fits the budget, and what
 * each outcome teaches. Target indexes are those of `definition.targets`.
 *
 * Built off to the side with the rest of a new runtime config; `Upstream.follow` carries
 * state over from the previous config's handle, so nothing is synced after the swap.
 */
export class Upstream {
  /** The targets parsed for forwarding, index-aligned with `definition.targets`. */
  readonly targets: readonly UpstreamTarget[];
  readonly health: UpstreamHealth;
  readonly balancer: LoadBalancer;
  /** `undefined` when `circuitBreaker` is null (off). */
  readonly breaker: CircuitBreaker | undefined;
  readonly retryBudget: RetryBudget;
  readonly retryOn: RetryConditions;
  /** Tries in flight per target (least-request reads it; also a gauge). */
  readonly active: Int32Array;
  readonly hashOn: HashOn | null;
  /** Equal for equal definitions: whether a new config can keep this handle as it is. */
  readonly fingerprint: string;

  /**
   * The handle for API `name` with `definition` in a new config, given the one in the
   * config it replaces:
   * - the same definition keeps the previous handle as is (balancer position, breaker,
   *   retry budget, health);
   * - a changed definition gets a new handle that keeps the health (active-check streak,
   *   ejection) of every target URL it still has; requests in flight finish on the old
   *   handle, so for a moment the breaker may admit up to twice its limit;
   * - a new API starts fresh (a removed one is simply not carried over).
   */
  static follow(name: string, definition: UpstreamDefinition, previous: Upstream | undefined, context: UpstreamContext): Upstream {
    const fingerprint = JSON.stringify(definition);
    if (previous !== undefined && previous.name === name && previous.fingerprint === fingerprint) return previous;
    const kept = new Map<string, TargetHealth>();
    if (previous !== undefined) for (const t of previous.health.targets) kept.set(t.url, t);
    const targets = definition.targets.map((t) => {
      const health = kept.get(t.url) ?? new TargetHealth(name, t.url);
      // Settings that were switched off must not leave their verdict behind.
      if (definition.healthCheck === null) {
        health.activeHealthy = true;
        health.checkFailures = 0;
        health.checkSuccesses = 0;
      }
      if (definition.outlierDetection === null) {
        health.ejected = false;
        health.failures = 0;
      }
      return health;
    });
    return new Upstream(name, definition, targets, context, fingerprint);
  }

  constructor(
    readonly name: string,
    readonly definition: UpstreamDefinition,
    targetHealth: readonly TargetHealth[],
    context: UpstreamContext,
    fingerprint = JSON.stringify(definition),
  ) {
    const n = definition.targets.length;
    if (n === 0 || targetHealth.length !== n) throw new Error(`upstream ${name}: needs one health record per target`);
    this.fingerprint = fingerprint;
    this.targets = Object.freeze(definition.targets.map((t) => parseUpstreamTarget(t.url, t.weight)));
    this.active = new Int32Array(n);
    this.health = new UpstreamHealth({
      upstream: name,
      targets: targetHealth,
      zones: definition.targets.map((t) => t.zone),
      localZone: context.localZone,
      loadBalancing: definition.loadBalancing,
      healthCheck: definition.healthCheck,
      outlierDetection: definition.outlierDetection,
      clock: context.clock,
      onTransition: context.onTransition,
    });
    this.balancer = new LoadBalancer({
      algorithm: definition.loadBalancing.algorithm,
      keys: definition.targets.map((t) => t.url),
      weights: definition.targets.map((t) => t.weight),
      health: this.health,
      active: this.active,
      random: context.random,
    });
    const onBreaker = context.onBreakerTransition;
    this.breaker =
      definition.circuitBreaker === null
        ? undefined
        : new CircuitBreaker(definition.circuitBreaker, context.clock, onBreaker === undefined ? undefined : (t) => onBreaker(name, t));
    this.retryBudget = new RetryBudget(definition.retries);
    this.retryOn = new RetryConditions(definition.retries.on);
    this.hashOn = definition.loadBalancing.algorithm === 'consistent-hash' ? definition.loadBalancing.hashOn : null;
  }

  /** The target index for the next try (see `LoadBalancer.pick`). */
  pick(hashKey: string | undefined, exclude: readonly number[] | undefined): number {
    return this.balancer.pick(hashKey, exclude);
  }

  tryStarted(i: number): void {
    this.active[i]!++;
  }

  tryEnded(i: number): void {
    if (this.active[i]! > 0) this.active[i]!--;
  }

  /**
   * The outcome of one try that reached (or tried to reach) target `i`: `false` for a
   * 5xx response or a gateway failure. Feeds outlier detection and the breaker's window.
   */
  report(i: number, success: boolean): void {
    this.health.reportOutcome(i, success);
    this.breaker?.record(success);
  }

  /** Index of the target with this URL, or -1. */
  indexOf(url: string): number {
    return this.definition.targets.findIndex((t) => t.url === url);
  }
}
