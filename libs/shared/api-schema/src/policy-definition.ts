/**
 * The `policies` block of an API definition (and `rateLimits` of a route): CORS,
 * authentication, rate limits and idempotency keys, run by the runtime after routing and
 * before the upstream. The contract is written down in docs/api-definition.md
 * ("Policies"); each block maps onto the option type of its runtime library
 * (`@gw/auth`, `@gw/rate-limit`, `@gw/idempotency`).
 *
 * Secrets: API keys are stored only as SHA-256 hashes (plaintext keys are refused), JWKs
 * only as public keys or HMAC secrets (`oct`); the `k` of an `oct` key is the only secret
 * the definition holds, and the deploy API never returns it (see `maskDefinitionSecrets`).
 */

/** What operators write (every field optional, defaults below). */
export interface PoliciesInput {
  consumerHeader?: string;
  cors?: Partial<CorsPolicy> | null;
  auth?: AuthPolicyInput | null;
  rateLimits?: RateLimitInput[];
  idempotency?: Partial<IdempotencyPolicy> | null;
}

export interface AuthPolicyInput {
  apiKey?: (Partial<Omit<ApiKeyAuth, 'keys'>> & { keys: { sha256: string; consumer: string; id?: string | null }[] }) | null;
  jwt?: Partial<JwtAuth> | null;
  allowConsumers?: string[] | null;
}

export interface RateLimitInput {
  name: string;
  limit: number;
  windowMs: number;
  burst?: number;
  key?: RateLimitKey;
  scope?: RateLimitScope;
  failureMode?: RateLimitFailureMode;
}

/** The normalized block, every default filled in. */
export interface Policies {
  /**
   * The request header that names the authenticated consumer to the upstream (lower-case).
   * Every client-sent copy is removed from every request of the API, with or without
   * authentication, so it cannot be spoofed.
   */
  consumerHeader: string;
  /** `null`: no CORS handling (preflights are routed like any request). */
  cors: CorsPolicy | null;
  /** `null`: an anonymous API. */
  auth: AuthPolicy | null;
  /** Every one applies; a request must pass all of them (route limits come on top). */
  rateLimits: RateLimitDefinition[];
  /** `null`: idempotency keys are not handled (the header goes to the upstream as is). */
  idempotency: IdempotencyPolicy | null;
}

export interface CorsPolicy {
  /** Lower-case `scheme://host[:port]`, `scheme://*.domain`, `null`, or `["*"]` alone. */
  allowOrigins: string[];
  /** Upper-case; the CORS-safelisted GET, HEAD and POST are always allowed. */
  allowMethods: string[];
  /** Lower-case request header names a browser may send beyond the safelisted ones. */
  allowHeaders: string[];
  /** Lower-case response header names scripts may read. */
  exposeHeaders: string[];
  /** Cookies and HTTP auth; never with `"*"`. */
  allowCredentials: boolean;
  maxAgeSec: number;
}

export interface AuthPolicy {
  apiKey: ApiKeyAuth | null;
  jwt: JwtAuth | null;
  /** Consumers allowed to call the API; `null` = every authenticated consumer. */
  allowConsumers: string[] | null;
}

/** Where clients put their API key: a request header (lower-case) or a query parameter. */
export type ApiKeyLocation = { header: string } | { query: string };

export interface ApiKeyAuth {
  in: ApiKeyLocation;
  /** Forward the key to the upstream (default false: removed). */
  forward: boolean;
  /** May be empty (every key revoked: every request 401). */
  keys: ApiKeyEntry[];
}

export interface ApiKeyEntry {
  /** A label for logs and audits, never the key; `null` = none. */
  id: string | null;
  /** Lower-case hex SHA-256 of the key (`printf %s "$KEY" | sha256sum`). */
  sha256: string;
  consumer: string;
}

export const JWT_ALGORITHMS = ['ES256', 'HS256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface JwtAuth {
  /** Inline JWKs: RSA (≥ 2048 bits) and EC P-256 public keys, `oct` HMAC secrets (≥ 256 bits). */
  keys: Jwk[];
  /** A JWKS document the runtime fetches and caches; `null` = inline keys only. */
  jwksUrl: string | null;
  /** Accepted `iss` values; empty = not checked. */
  issuers: string[];
  /** Accepted `aud` values; empty = not checked. */
  audiences: string[];
  /** Sorted; each key still verifies only the one algorithm its type allows. */
  algorithms: JwtAlgorithm[];
  clockSkewSec: number;
  requireExp: boolean;
  consumerClaim: string;
  /** Forward `Authorization` to the upstream (default true). */
  forward: boolean;
}

/** A JSON Web Key as the definition holds it: only these members, only public parts (and `k` of `oct`). */
export interface Jwk {
  kty: 'oct' | 'RSA' | 'EC';
  kid?: string;
  alg?: string;
  use?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  /** The HMAC secret of an `oct` key (base64url). Masked in every deploy API response. */
  k?: string;
}

export const JWK_MEMBERS = ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e', 'k'] as const;

export type RateLimitKey = { by: 'ip' } | { by: 'consumer' } | { by: 'header'; name: string };
export type RateLimitScope = 'global' | 'local';
export type RateLimitFailureMode = 'open' | 'closed';

export interface RateLimitDefinition {
  /** Unique in its list; the runtime counts under `<api>/<name>` (route limits `<api>/<route>/<name>`). */
  name: string;
  limit: number;
  windowMs: number;
  burst: number;
  key: RateLimitKey;
  scope: RateLimitScope;
  failureMode: RateLimitFailureMode;
}

export interface IdempotencyPolicy {
  /** Unsafe methods only (POST, PUT, PATCH, DELETE), upper-case. */
  methods: string[];
  required: boolean;
  /** Lower-case. */
  headerName: string;
  ttlMs: number;
  /** Above the upstream's `timeouts.totalMs`, at most `ttlMs`. */
  lockTtlMs: number;
  maxResponseBytes: number;
}

/** What a masked secret reads as in responses; sent back in a PUT it keeps the stored value. */
export const REDACTED = '[REDACTED]';

export const POLICY_DEFAULTS = Object.freeze({
  consumerHeader: 'x-consumer-id',
  corsAllowMethods: Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
  corsMaxAgeSec: 600,
  apiKeyHeader: 'x-api-key',
  jwtClockSkewSec: 30,
  jwtConsumerClaim: 'sub',
  rateLimitScope: 'global' as RateLimitScope,
  rateLimitFailureMode: 'open' as RateLimitFailureMode,
  idempotencyMethods: Object.freeze(['POST', 'PATCH']),
  idempotencyHeader: 'idempotency-key',
  idempotencyTtlMs: 86_400_000,
  /** The default lock is max(this, upstream totalMs + 1 s). */
  idempotencyLockTtlMs: 120_000,
  idempotencyMaxResponseBytes: 1_048_576,
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
  allowConsumersMax: 1_000,
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
