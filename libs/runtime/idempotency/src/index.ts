export {
  IdempotencyGuard,
  IdempotencyTicket,
  REPLAY_HEADER,
  type BeginResult,
  type IdempotencyRequest,
  type IdempotencyRejection,
  type IdempotencyGuardDeps,
  type IdempotencyMetrics,
  type IdempotencyOutcome,
  type TicketState,
} from './idempotency-guard.js';
export { resolveIdempotencyPolicy, type ResolvedIdempotencyPolicy } from './idempotency-policy.js';
export { RedisIdempotencyStore, parseClaim, type IdempotencyStore, type ClaimResult, type Completion } from './idempotency-store.js';
export { MemoryIdempotencyStore } from './memory-idempotency-store.js';
export { IDEMPOTENCY_SCRIPTS } from './idempotency-scripts.js';
export { parseIdempotencyKey, type KeyHeader } from './idempotency-key.js';
export { bodyDigest, keyScope, requestFingerprint, storageKey } from './fingerprint.js';
export { ResponseRecorder, replayableHeaders, type StoredResponse } from './stored-response.js';
