export type {
  Snapshot,
  SnapshotContent,
  SnapshotApi,
  SnapshotRoute,
  SnapshotUpstream,
  SnapshotTarget,
  SnapshotLoadBalancing,
  SnapshotLoadBalancingAlgorithm,
  SnapshotHashOn,
  SnapshotHashSource,
  SnapshotTimeouts,
  SnapshotRetries,
  SnapshotRetryCondition,
  SnapshotHealthCheck,
  SnapshotOutlierDetection,
  SnapshotCircuitBreaker,
} from './snapshot.js';
export {
  SNAPSHOT_LOAD_BALANCING_ALGORITHMS,
  SNAPSHOT_HASH_SOURCES,
  SNAPSHOT_RETRY_FAILURE_CONDITIONS,
  DISABLED_HEALTH_CHECK,
  DISABLED_OUTLIER_DETECTION,
  DISABLED_CIRCUIT_BREAKER,
  NO_HASH,
} from './snapshot.js';
export { canonicalJson } from './canonical-json.js';
export { hashSnapshotContent } from './snapshot-hash.js';
export { validateSnapshotContent, verifySnapshot, type SnapshotProblem, type SnapshotVerdict } from './snapshot-validation.js';
export type {
  SnapshotPolicies,
  SnapshotCors,
  SnapshotAuth,
  SnapshotApiKeyAuth,
  SnapshotApiKey,
  SnapshotJwtAuth,
  SnapshotJwk,
  SnapshotRateLimit,
  SnapshotIdempotency,
} from './snapshot-policies.js';
export {
  SNAPSHOT_API_KEY_LOCATIONS,
  SNAPSHOT_JWT_ALGORITHMS,
  SNAPSHOT_JWK_MEMBERS,
  SNAPSHOT_RATE_LIMIT_KEYS,
  DISABLED_CORS,
  DISABLED_API_KEY_AUTH,
  DISABLED_JWT_AUTH,
  DISABLED_IDEMPOTENCY,
  DEFAULT_CONSUMER_HEADER,
  noPolicies,
} from './snapshot-policies.js';
