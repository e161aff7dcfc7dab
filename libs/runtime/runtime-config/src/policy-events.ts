import type { IdempotencyOutcome } from '@gw/idempotency';
import type { DecisionOutcome, DecisionSource } from '@gw/rate-limit';

/**
 * What the policy phase reports, for metrics (the counters live in the runtime). Every
 * hook is optional, called synchronously, and must not throw. Labels are API names,
 * limiter ids (`<api>/<name>`), stable codes and fixed outcomes: never a consumer, a key
 * or a client address.
 */
export interface PolicyEvents {
  rateLimitDecision?(api: string, policy: string, outcome: DecisionOutcome, source: DecisionSource): void;
  /** A global limit could not use Redis (timeout, disconnected): the fallback or the 503 of its failure mode. */
  rateLimitRedisFailure?(api: string, policy: string, failureMode: 'open' | 'closed'): void;
  idempotencyOutcome?(api: string, outcome: IdempotencyOutcome): void;
  /** Storing a response (or releasing a claim) failed after the request was forwarded. */
  idempotencyStoreFailure?(api: string, operation: 'complete' | 'release'): void;
  /** A request refused by authentication: GW_AUTH_REQUIRED, GW_AUTH_INVALID, GW_FORBIDDEN, GW_AUTH_UNAVAILABLE. */
  authFailure?(api: string, code: string): void;
  /** A CORS preflight refused (GW_CORS_REJECTED). */
  corsRejected?(api: string): void;
}
