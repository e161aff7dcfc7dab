import { sameJson, type HashOn, type UpstreamDefinition } from '@gw/api-schema';
import type { Clock, Random } from './clock.js';
import { CircuitBreaker, type BreakerState, type BreakerTransition } from './circuit-breaker.js';
import { LoadBalancer } from './load-balancer.js';
import { RetryBudget } from './retry-budget.js';
import { retryConditionsOf, type RetryConditions } from './retry-policy.js';
import { TargetHealth, type HealthListener, type TargetState } from './target-health.js';
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
 *
 * Each part (parsed targets, health, balancer, breaker, retry budget) is made on first use:
 * a runtime holds 10,000 of these, most of which may never see a request, and the parts
 * cost ~4–5 KB per API (docs/benchmarks.md, "Runtime memory at 10,000 APIs"). A part made
 * later starts as it would have at build time: nothing had touched it.
 */
const UNUSED_BREAKER = Object.freeze({ state: 'closed' as BreakerState, active: 0 });

export class Upstream {
  readonly #context: UpstreamContext;
  /** Health records carried over from the previous handle, index-aligned with the targets, until `health` is made. */
  #carried: readonly (TargetHealth | undefined)[] | undefined;
  #targets: readonly UpstreamTarget[] | undefined;
  #health: UpstreamHealth | undefined;
  #balancer: LoadBalancer | undefined;
  /** `null`: `circuitBreaker` is null (off); `undefined`: not made yet. */
  #breaker: CircuitBreaker | null | undefined;
  #retryBudget: RetryBudget | undefined;
  #retryOn: RetryConditions | undefined;
  #active: Int32Array | undefined;

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
    if (previous !== undefined && previous.name === name && sameJson(previous.definition, definition)) return previous;
    const kept = new Map<string, TargetHealth>();
    if (previous !== undefined) for (const t of previous.#healthRecords()) if (t !== undefined) kept.set(t.url, t);
    const carried =
      kept.size === 0
        ? undefined
        : definition.targets.map((t) => {
            const health = kept.get(t.url);
            if (health === undefined) return undefined;
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
    return new Upstream(name, definition, carried, context);
  }

  private constructor(
    readonly name: string,
    readonly definition: UpstreamDefinition,
    carried: readonly (TargetHealth | undefined)[] | undefined,
    context: UpstreamContext,
  ) {
    if (definition.targets.length === 0) throw new Error(`upstream ${name}: needs at least one target`);
    this.#carried = carried;
    this.#context = context;
  }

  /** The targets parsed for forwarding, index-aligned with `definition.targets`. */
  get targets(): readonly UpstreamTarget[] {
    return (this.#targets ??= Object.freeze(this.definition.targets.map((t) => parseUpstreamTarget(t.url, t.weight))));
  }

  get health(): UpstreamHealth {
    if (this.#health !== undefined) return this.#health;
    const { definition, name } = this;
    const carried = this.#carried;
    this.#carried = undefined;
    const context = this.#context;
    return (this.#health = new UpstreamHealth({
      upstream: name,
      targets: definition.targets.map((t, i) => carried?.[i] ?? new TargetHealth(name, t.url)),
      zones: definition.targets.map((t) => t.zone),
      localZone: context.localZone,
      loadBalancing: definition.loadBalancing,
      healthCheck: definition.healthCheck,
      outlierDetection: definition.outlierDetection,
      clock: context.clock,
      onTransition: context.onTransition,
    }));
  }

  get balancer(): LoadBalancer {
    return (this.#balancer ??= new LoadBalancer({
      algorithm: this.definition.loadBalancing.algorithm,
      keys: this.definition.targets.map((t) => t.url),
      weights: this.definition.targets.map((t) => t.weight),
      health: this.health,
      active: this.active,
      random: this.#context.random,
    }));
  }

  /** `undefined` when `circuitBreaker` is null (off). */
  get breaker(): CircuitBreaker | undefined {
    if (this.#breaker === undefined) {
      const options = this.definition.circuitBreaker;
      const onBreaker = this.#context.onBreakerTransition;
      const name = this.name;
      this.#breaker =
        options === null ? null : new CircuitBreaker(options, this.#context.clock, onBreaker === undefined ? undefined : (t) => onBreaker(name, t));
    }
    return this.#breaker ?? undefined;
  }

  /**
   * The breaker's state and slots in use, for gauges, without making a breaker nothing has
   * used yet (it would be closed with no slot taken); `undefined` when the breaker is off.
   */
  breakerStatus(): { readonly state: BreakerState; readonly active: number } | undefined {
    if (this.definition.circuitBreaker === null) return undefined;
    const breaker = this.#breaker;
    return breaker == null ? UNUSED_BREAKER : { state: breaker.state, active: breaker.active };
  }

  /**
   * Each target's health state now (expired ejections ended), for gauges and status pages,
   * without making the health rules of an upstream nothing has used yet (every target is
   * then healthy: a new target is healthy until checks or failures say otherwise).
   */
  targetStates(): readonly TargetState[] {
    if (this.#health === undefined && this.#carried === undefined) return this.definition.targets.map(() => 'healthy');
    this.health.refresh();
    return this.health.targets.map((t) => t.state);
  }

  get retryBudget(): RetryBudget {
    return (this.#retryBudget ??= new RetryBudget(this.definition.retries));
  }

  get retryOn(): RetryConditions {
    return (this.#retryOn ??= retryConditionsOf(this.definition.retries.on));
  }

  /** Tries in flight per target (least-request reads it; also a gauge). */
  get active(): Int32Array {
    return (this.#active ??= new Int32Array(this.definition.targets.length));
  }

  get hashOn(): HashOn | null {
    const lb = this.definition.loadBalancing;
    return lb.algorithm === 'consistent-hash' ? lb.hashOn : null;
  }

  /** The health records this handle holds or carries (made or not), for the next handle to keep. */
  #healthRecords(): readonly (TargetHealth | undefined)[] {
    return this.#health?.targets ?? this.#carried ?? [];
  }

  /** The target index for the next try (see `LoadBalancer.pick`). */
  pick(hashKey: string | undefined, exclude: readonly number[] | undefined): number {
    return this.balancer.pick(hashKey, exclude);
  }

  tryStarted(i: number): void {
    this.active[i]!++;
  }

  tryEnded(i: number): void {
    const active = this.active;
    if (active[i]! > 0) active[i]!--;
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
