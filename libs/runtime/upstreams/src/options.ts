// The per-upstream settings this library acts on. They mirror `upstream` in
// docs/api-definition.md field for field (the snapshot carries them with every default
// filled in), so a snapshot upstream can be passed as is.

export type LoadBalancingAlgorithm = 'round-robin' | 'least-request' | 'consistent-hash';

/** What consistent hashing hashes: a request header, a cookie, or the client IP. */
export type HashOn = { readonly header: string } | { readonly cookie: string } | { readonly clientIp: true };

export interface LoadBalancingOptions {
  readonly algorithm: LoadBalancingAlgorithm;
  /** Set when `algorithm` is `consistent-hash`. Header names lower-case. */
  readonly hashOn: HashOn | null;
  readonly zoneAware: boolean;
  /** Prefer the local zone while at least this share (0–100) of its targets is healthy. */
  readonly minZoneHealthyPercent: number;
}

export interface TimeoutOptions {
  readonly connectMs: number;
  /** Per try, until response headers. */
  readonly requestMs: number;
  /** All tries and backoff together. */
  readonly totalMs: number;
}

/**
 * `connect-failure`, `reset`, `timeout` (the per-try timeout) or an upstream response
 * status in 500..599 written as a string.
 */
export type RetryCondition = string;

export interface RetryOptions {
  /** Retries after the first try; 0 = off. */
  readonly attempts: number;
  readonly on: readonly RetryCondition[];
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Retries in flight stay at or below this share (0–100) of active requests… */
  readonly budgetPercent: number;
  /** …or this many retries per second, whichever allows more. */
  readonly budgetMinPerSecond: number;
}

export interface HealthCheckOptions {
  /** Origin-form path (optionally with a query) requested with GET; 2xx = healthy. */
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface OutlierDetectionOptions {
  /** Consecutive 5xx responses or gateway failures that eject a target. */
  readonly consecutiveFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** Never more than this share (0–100) of an upstream's targets is ejected at once. */
  readonly maxEjectionPercent: number;
}

export interface CircuitBreakerOptions {
  readonly maxConcurrent: number;
  /** Requests that may wait for a slot once `maxConcurrent` is reached; 0 = reject at once. */
  readonly maxPending: number;
  readonly failureRatePercent: number;
  readonly windowMs: number;
  /** Requests in the window before the failure rate counts. */
  readonly minRequests: number;
  readonly openMs: number;
  readonly halfOpenRequests: number;
}

export interface UpstreamTargetOptions {
  /** Identifies the target within its upstream (its URL); health state is kept under it across config changes. */
  readonly url: string;
  readonly weight: number;
  /** `null`: no zone; such a target is never "local". */
  readonly zone: string | null;
}

/** One API's upstream, as far as selection and protection are concerned. */
export interface UpstreamOptions {
  readonly targets: readonly UpstreamTargetOptions[];
  readonly loadBalancing: LoadBalancingOptions;
  readonly timeouts: TimeoutOptions;
  readonly retries: RetryOptions;
  readonly healthCheck: HealthCheckOptions | null;
  readonly outlierDetection: OutlierDetectionOptions | null;
  readonly circuitBreaker: CircuitBreakerOptions | null;
}
