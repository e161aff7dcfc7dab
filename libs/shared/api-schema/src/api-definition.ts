import type { Policies, PoliciesInput, RateLimitDefinition, RateLimitInput } from './policy-definition.js';

/**
 * An API definition as operators write it (the body of `PUT /v1/apis/{name}`).
 * Optional fields get their defaults in `validateApiDefinition`, so everything
 * downstream (store, compiler) sees one fully specified shape. The contract is written
 * down in docs/api-definition.md.
 */
export interface ApiDefinitionInput {
  name: string;
  /** Path prefix the API is served under, e.g. `/orders`. `/` serves every path. */
  basePath: string;
  /**
   * Host names the API answers for: exact (`api.example.com`) or with one leading
   * wildcard label (`*.example.com`, any depth of subdomain). Empty or absent: any host.
   */
  hosts?: string[];
  /** Strip `basePath` before forwarding (default true): `GET /orders/42` reaches the upstream as `GET /42`. */
  stripBasePath?: boolean;
  /** Finer routes under `basePath`; absent or empty: the whole base path, every method. */
  routes?: RouteInput[];
  upstream: UpstreamInput;
  /** CORS, authentication, rate limits, idempotency keys; absent: all off. */
  policies?: PoliciesInput;
}

export interface RouteInput {
  name: string;
  /** Upper-case HTTP methods; absent or empty: every method. A route with GET also answers HEAD. */
  methods?: string[];
  /** Relative to `basePath`: static segments, `:param` segments and a trailing `*`. */
  path: string;
  /** Rate limits for this route, on top of the API's. */
  rateLimits?: RateLimitInput[];
}

export interface UpstreamInput {
  targets: TargetInput[];
  loadBalancing?: LoadBalancingInput;
  timeouts?: { connectMs?: number; requestMs?: number; totalMs?: number };
  retries?: Partial<Retries>;
  /** `null` or absent: no active health checks. `{}`: checks with every default. */
  healthCheck?: Partial<HealthCheck> | null;
  /** `null`: off. Absent: on with the defaults. */
  outlierDetection?: Partial<OutlierDetection> | null;
  /** `null`: off. Absent: on with the defaults. */
  circuitBreaker?: Partial<CircuitBreaker> | null;
  /** The Host header the upstream receives; `null` or absent: the target's `host[:port]`. */
  hostRewrite?: string | null;
}

export interface TargetInput {
  /** `http://host:port` or `https://host:port`, optionally with a path prefix; no query, fragment or credentials. */
  url: string;
  /** Relative weight (1..1000, default 1). */
  weight?: number;
  /** The availability zone the target runs in, for zone-aware balancing; `null` or absent: none. */
  zone?: string | null;
}

export interface LoadBalancingInput {
  algorithm?: LoadBalancingAlgorithm;
  hashOn?: HashOn | null;
  zoneAware?: boolean;
  minZoneHealthyPercent?: number;
}

export const LOAD_BALANCING_ALGORITHMS = ['round-robin', 'least-request', 'consistent-hash'] as const;
export type LoadBalancingAlgorithm = (typeof LOAD_BALANCING_ALGORITHMS)[number];

/** What consistent hashing hashes: exactly one of a request header, a cookie or the client IP. */
export type HashOn = { header: string } | { cookie: string } | { clientIp: true };

/**
 * What a retry may follow: a failed connect, a connection reset before response headers,
 * a per-try timeout (`requestMs`), or a response status in 500..599 written as a string.
 */
export type RetryCondition = 'connect-failure' | 'reset' | 'timeout' | `5${number}`;
export const RETRY_FAILURE_CONDITIONS = ['connect-failure', 'reset', 'timeout'] as const;

/** The fully specified definition, every default filled in. */
export interface ApiDefinition {
  name: string;
  basePath: string;
  /** Lower-case, in the operator's order, no duplicates; empty = any host. */
  hosts: string[];
  stripBasePath: boolean;
  /** In the operator's order; empty = the whole base path, every method. */
  routes: ApiRoute[];
  upstream: UpstreamDefinition;
  policies: Policies;
}

export interface ApiRoute {
  name: string;
  /** Upper-case, no duplicates; empty = every method. */
  methods: string[];
  path: string;
  /** On top of the API's `policies.rateLimits`; empty = none. */
  rateLimits: RateLimitDefinition[];
}

export interface UpstreamDefinition {
  targets: TargetDefinition[];
  loadBalancing: LoadBalancing;
  timeouts: Timeouts;
  retries: Retries;
  healthCheck: HealthCheck | null;
  outlierDetection: OutlierDetection | null;
  circuitBreaker: CircuitBreaker | null;
  hostRewrite: string | null;
}

export interface TargetDefinition {
  url: string;
  weight: number;
  zone: string | null;
}

export interface LoadBalancing {
  algorithm: LoadBalancingAlgorithm;
  /** Set exactly when `algorithm` is `consistent-hash`. Header names are lower-cased. */
  hashOn: HashOn | null;
  zoneAware: boolean;
  minZoneHealthyPercent: number;
}

export interface Timeouts {
  /** TCP (and TLS) connect, per try. */
  connectMs: number;
  /** Per try, until response headers. */
  requestMs: number;
  /** All tries and backoff together; never below `requestMs`. */
  totalMs: number;
}

export interface Retries {
  /** Retries after the first try; 0 = off. */
  attempts: number;
  /** No duplicates, in the operator's order. */
  on: RetryCondition[];
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Retries in flight stay at or below this share of active requests… */
  budgetPercent: number;
  /** …or this many retries per second, whichever is more. */
  budgetMinPerSecond: number;
}

export interface HealthCheck {
  /** Origin-form path (with an optional query) requested with GET on each target; 2xx = healthy. */
  path: string;
  intervalMs: number;
  /** Never above `intervalMs`. */
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface OutlierDetection {
  consecutiveFailures: number;
  baseEjectionMs: number;
  /** Never below `baseEjectionMs`. */
  maxEjectionMs: number;
  maxEjectionPercent: number;
}

export interface CircuitBreaker {
  maxConcurrent: number;
  /** Requests that may wait for a slot once `maxConcurrent` is reached; 0 = reject at once. */
  maxPending: number;
  failureRatePercent: number;
  windowMs: number;
  /** Requests in the window before the failure rate counts. */
  minRequests: number;
  openMs: number;
  halfOpenRequests: number;
}

/** A stored API: its definition plus the revision the store assigned. */
export interface StoredApi {
  definition: ApiDefinition;
  /** Increments on every write of this API; the `ETag` of the deploy API. */
  revision: number;
  createdAt: string;
  updatedAt: string;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The defaults the validator fills in. Derived defaults (documented in
 * docs/api-definition.md) keep a partly given object consistent: `totalMs` is at least
 * `requestMs`, `backoffMaxMs` at least `backoffBaseMs`, a health check's `timeoutMs` at
 * most its `intervalMs`, `maxEjectionMs` at least `baseEjectionMs`.
 */
export const API_DEFAULTS = deepFreeze({
  stripBasePath: true,
  weight: 1,
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  totalTimeoutMs: 60_000,
  loadBalancing: {
    algorithm: 'round-robin',
    hashOn: null,
    zoneAware: true,
    minZoneHealthyPercent: 70,
  } satisfies LoadBalancing as LoadBalancing,
  retries: {
    attempts: 2,
    on: ['connect-failure', 'reset', '502', '503', '504'],
    backoffBaseMs: 25,
    backoffMaxMs: 250,
    budgetPercent: 20,
    budgetMinPerSecond: 3,
  } satisfies Retries as Retries,
  /** Used when `healthCheck` is an object; absent or `null` means no active checks. */
  healthCheck: {
    path: '/health',
    intervalMs: 5_000,
    timeoutMs: 1_000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  } satisfies HealthCheck as HealthCheck,
  outlierDetection: {
    consecutiveFailures: 5,
    baseEjectionMs: 30_000,
    maxEjectionMs: 300_000,
    maxEjectionPercent: 50,
  } satisfies OutlierDetection as OutlierDetection,
  circuitBreaker: {
    maxConcurrent: 1024,
    maxPending: 128,
    failureRatePercent: 50,
    windowMs: 10_000,
    minRequests: 20,
    openMs: 5_000,
    halfOpenRequests: 3,
  } satisfies CircuitBreaker as CircuitBreaker,
});

export const API_LIMITS = {
  nameMaxLength: 63,
  basePathMaxLength: 1024,
  hostsMax: 100,
  hostMaxLength: 253,
  targetsMax: 512,
  urlMaxLength: 2048,
  weightMax: 1000,
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
  budgetMinPerSecondMax: 10_000,
  /** Largest request body the deploy API reads. */
  bodyMaxBytes: 1_048_576,
} as const;

/** Methods a route may name (CONNECT is never proxied); routes without methods accept any. */
export const ROUTE_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'] as const;
