/**
 * The policies of an API in the snapshot, in the snapshot's own style: no optional
 * fields, no nulls; a block that is off is `enabled: false` with empty lists, `''` and
 * zeros; lists whose order carries no meaning are sorted. The runtime builds its
 * limiters, authenticators and idempotency guards from these once per applied snapshot.
 *
 * Secrets travel here (the `k` of `oct` JWKs, API key hashes): the snapshot is the
 * runtime's config, never shown by an admin endpoint, and problems about it never quote
 * those values.
 */
export interface SnapshotPolicies {
  /** Lower-case; stripped from every client request, set to the authenticated consumer. */
  consumerHeader: string;
  cors: SnapshotCors;
  auth: SnapshotAuth;
  /** In the operator's order (the order of the RateLimit header's items). */
  rateLimits: SnapshotRateLimit[];
  idempotency: SnapshotIdempotency;
}

/** Disabled: `enabled: false`, empty lists, `allowCredentials: false`, `maxAgeSec: 0`. */
export interface SnapshotCors {
  enabled: boolean;
  /** Sorted; lower-case origins, `*.` patterns, `null`, or `*` alone. */
  allowOrigins: string[];
  /** Sorted, upper-case. */
  allowMethods: string[];
  /** Sorted, lower-case. */
  allowHeaders: string[];
  /** Sorted, lower-case. */
  exposeHeaders: string[];
  allowCredentials: boolean;
  maxAgeSec: number;
}

/** Disabled: `enabled: false`, both schemes disabled, no consumers. */
export interface SnapshotAuth {
  enabled: boolean;
  apiKey: SnapshotApiKeyAuth;
  jwt: SnapshotJwtAuth;
  /** Sorted; empty = every authenticated consumer. */
  allowConsumers: string[];
}

export const SNAPSHOT_API_KEY_LOCATIONS = ['header', 'query'] as const;

/** Disabled: `enabled: false`, `location: ''`, `name: ''`, `forward: false`, no keys. */
export interface SnapshotApiKeyAuth {
  enabled: boolean;
  /** Where the key comes: `header` or `query`; `''` while disabled. */
  location: '' | (typeof SNAPSHOT_API_KEY_LOCATIONS)[number];
  /** The header (lower-case) or query parameter name. */
  name: string;
  forward: boolean;
  /** Sorted by `sha256`, unique. */
  keys: SnapshotApiKey[];
}

export interface SnapshotApiKey {
  /** A label; `''` = none. */
  id: string;
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
  consumer: string;
}

export const SNAPSHOT_JWT_ALGORITHMS = ['ES256', 'HS256', 'RS256'] as const;

/** Disabled: `enabled: false`, empty lists and strings, zeros, `requireExp`/`forward` false. */
export interface SnapshotJwtAuth {
  enabled: boolean;
  /** In the operator's order. */
  keys: SnapshotJwk[];
  /** `''` = inline keys only. */
  jwksUrl: string;
  /** Sorted. Empty = not checked. */
  issuers: string[];
  /** Sorted. Empty = not checked. */
  audiences: string[];
  /** Sorted, from `SNAPSHOT_JWT_ALGORITHMS`. */
  algorithms: string[];
  clockSkewSec: number;
  requireExp: boolean;
  consumerClaim: string;
  forward: boolean;
}

/** A JWK with every member present; `''` = absent. */
export interface SnapshotJwk {
  kty: string;
  kid: string;
  alg: string;
  use: string;
  crv: string;
  x: string;
  y: string;
  n: string;
  e: string;
  /** The HMAC secret of an `oct` key. */
  k: string;
}

export const SNAPSHOT_JWK_MEMBERS = ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e', 'k'] as const;

export const SNAPSHOT_RATE_LIMIT_KEYS = ['ip', 'header', 'consumer'] as const;

export interface SnapshotRateLimit {
  name: string;
  limit: number;
  windowMs: number;
  burst: number;
  /** `name` is the lower-case header for `by: header`, `''` otherwise. */
  key: { by: (typeof SNAPSHOT_RATE_LIMIT_KEYS)[number]; name: string };
  scope: 'global' | 'local';
  failureMode: 'open' | 'closed';
}

/** Disabled: `enabled: false`, no methods, `required: false`, `headerName: ''`, zeros. */
export interface SnapshotIdempotency {
  enabled: boolean;
  /** Sorted, upper-case, unsafe methods only. */
  methods: string[];
  required: boolean;
  headerName: string;
  ttlMs: number;
  lockTtlMs: number;
  maxResponseBytes: number;
}

export const DISABLED_CORS: Readonly<SnapshotCors> = Object.freeze({
  enabled: false,
  allowOrigins: [],
  allowMethods: [],
  allowHeaders: [],
  exposeHeaders: [],
  allowCredentials: false,
  maxAgeSec: 0,
});

export const DISABLED_API_KEY_AUTH: Readonly<SnapshotApiKeyAuth> = Object.freeze({ enabled: false, location: '', name: '', forward: false, keys: [] });

export const DISABLED_JWT_AUTH: Readonly<SnapshotJwtAuth> = Object.freeze({
  enabled: false,
  keys: [],
  jwksUrl: '',
  issuers: [],
  audiences: [],
  algorithms: [],
  clockSkewSec: 0,
  requireExp: false,
  consumerClaim: '',
  forward: false,
});

export const DISABLED_IDEMPOTENCY: Readonly<SnapshotIdempotency> = Object.freeze({
  enabled: false,
  methods: [],
  required: false,
  headerName: '',
  ttlMs: 0,
  lockTtlMs: 0,
  maxResponseBytes: 0,
});

export const DEFAULT_CONSUMER_HEADER = 'x-consumer-id';

/** Fresh (unfrozen) policies with everything off: what an API without a `policies` block compiles to. */
export function noPolicies(): SnapshotPolicies {
  return {
    consumerHeader: DEFAULT_CONSUMER_HEADER,
    cors: { ...DISABLED_CORS, allowOrigins: [], allowMethods: [], allowHeaders: [], exposeHeaders: [] },
    auth: { enabled: false, apiKey: { ...DISABLED_API_KEY_AUTH, keys: [] }, jwt: { ...DISABLED_JWT_AUTH, keys: [], issuers: [], audiences: [], algorithms: [] }, allowConsumers: [] },
    rateLimits: [],
    idempotency: { ...DISABLED_IDEMPOTENCY, methods: [] },
  };
}
