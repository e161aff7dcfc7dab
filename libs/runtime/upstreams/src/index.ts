export { systemClock, ManualClock, type Clock, type Random } from './clock.js';
export type {
  CircuitBreakerOptions,
  HashOn,
  HealthCheckOptions,
  LoadBalancingAlgorithm,
  LoadBalancingOptions,
  OutlierDetectionOptions,
  RetryCondition,
  RetryOptions,
  TimeoutOptions,
  UpstreamOptions,
  UpstreamTargetOptions,
} from './options.js';
export { WeightedRoundRobin } from './weighted-round-robin.js';
export { pickLeastRequest } from './least-request.js';
export { RingHash } from './ring-hash.js';
export { hashString } from './hash.js';
export { hashKeyOf, cookieValue } from './hash-key.js';
export { TargetHealth, type HealthEvent, type HealthReason, type HealthTransition, type HealthListener } from './target-health.js';
export { UpstreamHealth, type UpstreamHealthOptions } from './upstream-health.js';
export { LoadBalancer, type LoadBalancerOptions } from './load-balancer.js';
export { FailureWindow } from './failure-window.js';
export { CircuitBreaker, ADMITTED, FULL, OPEN, type Admission, type BreakerState, type BreakerTransition, type PendingRequest } from './circuit-breaker.js';
export { RetryBudget } from './retry-budget.js';
export { backoffDelay } from './backoff.js';
export { isRetryableRequest, RetryConditions, type TryFailure } from './retry-policy.js';
export { Upstream, type UpstreamContext } from './upstream.js';
export { UpstreamRegistry, type UpstreamRegistryOptions } from './upstream-registry.js';
export { upstreamOptionsFromSnapshot } from './snapshot-upstream.js';
