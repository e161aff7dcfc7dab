/**
 * Every limit of an API definition, declared once. The schema (and so the JSON Schema,
 * the docs' field table and every error message) reads them from here; nothing else
 * repeats a number.
 */
export const API_LIMITS = Object.freeze({
  nameMaxLength: 63,
  basePathMaxLength: 1024,
  hostsMax: 100,
  hostMaxLength: 253,
  targetsMax: 512,
  urlMaxLength: 2048,
  weightMax: 1000,
  /** Every duration of the upstream block (timeouts, backoff, ejection, windows). */
  timeoutMaxMs: 3_600_000,
  routesMax: 256,
  routePathMaxLength: 1024,
  zoneMaxLength: 63,
  retryAttemptsMax: 5,
  /** Header and cookie names consistent hashing reads. */
  hashKeyNameMaxLength: 256,
  healthCheckPathMaxLength: 1024,
  thresholdMax: 100,
  consecutiveFailuresMax: 1000,
  /** Concurrency, queue and request counts of the circuit breaker. */
  breakerCountMax: 1_000_000,
  halfOpenRequestsMax: 1000,
  /** `retries.minRetryConcurrency` (and its old name `budgetMinPerSecond`). */
  minRetryConcurrencyMax: 10_000,
  /** Largest request body the deploy API reads for one API. */
  bodyMaxBytes: 1_048_576,
  /** Largest `POST /v1/apply` body: a whole fleet's definitions (10 000 APIs fit many times over). */
  applyBodyMaxBytes: 20 * 1_048_576,
});

export const POLICY_LIMITS = Object.freeze({
  corsOriginsMax: 100,
  corsHeadersMax: 100,
  corsMaxAgeSecMax: 86_400,
  apiKeysMax: 5_000,
  jwtKeysMax: 16,
  jwtClaimValuesMax: 16,
  jwtClaimValueMaxLength: 512,
  jwtClockSkewSecMax: 300,
  jwksUrlMaxLength: 2_048,
  /** Members of an inline JWK (base64url key material, `kid`). */
  jwkMemberMaxLength: 4096,
  allowConsumersMax: 1_000,
  consumerMaxLength: 128,
  rateLimitsMax: 16,
  rateLimitMax: 1_000_000_000,
  rateLimitWindowMaxMs: 86_400_000,
  /** The limiter id `<api>/<route>/<name>` keys Redis and the RateLimit headers. */
  rateLimitIdMaxLength: 128,
  idempotencyTtlMinMs: 1_000,
  idempotencyTtlMaxMs: 30 * 86_400_000,
  idempotencyLockTtlMinMs: 100,
  idempotencyMaxResponseBytesMax: 16 * 1_048_576,
  headerNameMaxLength: 64,
});
