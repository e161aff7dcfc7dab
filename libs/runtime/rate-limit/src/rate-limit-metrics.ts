/** Where a decision was made. */
export type DecisionSource =
  /** the shared count in Redis */
  | 'redis'
  /** this runtime's count, for a `scope: local` policy or when the runtime has no Redis */
  | 'local'
  /** this runtime's count, because Redis failed and the policy fails open */
  | 'fallback'
  /** nobody: Redis failed and the policy fails closed */
  | 'none';

export type DecisionOutcome = 'allowed' | 'limited' | 'unavailable';

/**
 * Hooks for the runtime's metrics (prom-client counters live in the app, not here).
 * Every method is optional and must not throw.
 */
export interface RateLimitMetrics {
  decision?(policy: string, outcome: DecisionOutcome, source: DecisionSource): void;
  /** A global decision that could not use Redis (timeout, disconnected, error). */
  redisFailure?(policy: string, failureMode: 'open' | 'closed'): void;
}
