import type { Clock, Random } from './clock.js';
import { CircuitBreaker, type BreakerTransition } from './circuit-breaker.js';
import { LoadBalancer } from './load-balancer.js';
import type { HashOn, UpstreamOptions } from './options.js';
import { RetryBudget } from './retry-budget.js';
import { RetryConditions } from './retry-policy.js';
import type { HealthListener, TargetHealth } from './target-health.js';
import { UpstreamHealth } from './upstream-health.js';

export interface UpstreamContext {
  readonly localZone: string | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly onTransition?: HealthListener | undefined;
  readonly onBreakerTransition?: ((upstream: string, transition: BreakerTransition) => void) | undefined;
}

/**
 * The runtime state of one API's upstream: who to send the next try to, whether the
 * breaker admits it, whether a retry fits the budget, and what each outcome teaches.
 * Target indexes are those of `options.targets`.
 */
export class Upstream {
  readonly health: UpstreamHealth;
  readonly balancer: LoadBalancer;
  /** `undefined` when `circuitBreaker` is null (off). */
  readonly breaker: CircuitBreaker | undefined;
  readonly retryBudget: RetryBudget;
  readonly retryOn: RetryConditions;
  /** Tries in flight per target (least-request reads it; also a gauge). */
  readonly active: Int32Array;
  readonly hashOn: HashOn | null;

  constructor(
    readonly name: string,
    readonly options: UpstreamOptions,
    targets: readonly TargetHealth[],
    context: UpstreamContext,
  ) {
    const n = options.targets.length;
    if (n === 0 || targets.length !== n) throw new Error(`upstream ${name}: needs one health record per target`);
    this.active = new Int32Array(n);
    this.health = new UpstreamHealth({
      upstream: name,
      targets,
      zones: options.targets.map((t) => t.zone),
      localZone: context.localZone,
      loadBalancing: options.loadBalancing,
      healthCheck: options.healthCheck,
      outlierDetection: options.outlierDetection,
      clock: context.clock,
      onTransition: context.onTransition,
    });
    this.balancer = new LoadBalancer({
      algorithm: options.loadBalancing.algorithm,
      keys: options.targets.map((t) => t.url),
      weights: options.targets.map((t) => t.weight),
      health: this.health,
      active: this.active,
      random: context.random,
    });
    const onBreaker = context.onBreakerTransition;
    this.breaker =
      options.circuitBreaker === null
        ? undefined
        : new CircuitBreaker(options.circuitBreaker, context.clock, onBreaker === undefined ? undefined : (t) => onBreaker(name, t));
    this.retryBudget = new RetryBudget(options.retries, context.clock);
    this.retryOn = new RetryConditions(options.retries.on);
    this.hashOn = options.loadBalancing.algorithm === 'consistent-hash' ? options.loadBalancing.hashOn : null;
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
    return this.options.targets.findIndex((t) => t.url === url);
  }
}
