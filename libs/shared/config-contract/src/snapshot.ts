import type { SnapshotPolicies, SnapshotRateLimit } from './snapshot-policies.js';

/**
 * The runtime snapshot: everything a runtime needs, compiled by the controller from
 * the desired state. Every field is explicit (no optional fields, no nulls): a feature
 * that is off is an `enabled: false` block with zero values, an absent string is `''`.
 * Proto3 has no presence for scalars, so only this shape travels through protobuf and
 * comes back byte-identical in canonical form, and the runtime can recompute the hash.
 */
export interface SnapshotContent {
  /** APIs sorted by name. */
  apis: SnapshotApi[];
}

export interface SnapshotApi {
  name: string;
  /**
   * Lower-case host patterns, sorted, deduplicated: exact names and `*.suffix` wildcards
   * (any depth of subdomain); empty = any host.
   */
  hosts: string[];
  basePath: string;
  stripBasePath: boolean;
  /** Sorted by name. Empty: the whole base path is one route that accepts every method. */
  routes: SnapshotRoute[];
  upstream: SnapshotUpstream;
  /** CORS, authentication, rate limits, idempotency keys (see snapshot-policies.ts). */
  policies: SnapshotPolicies;
}

/** A route under the API's base path, matched with find-my-way syntax. */
export interface SnapshotRoute {
  /** Unique within the API: `[a-z0-9-]`. */
  name: string;
  /** Upper-case, sorted, deduplicated; empty = every method. GET implies HEAD at match time. */
  methods: string[];
  /** Relative to the base path: static segments, `:param` segments, a trailing `*`. */
  path: string;
  /** On top of the API's `policies.rateLimits`, in the operator's order. */
  rateLimits: SnapshotRateLimit[];
}

export interface SnapshotUpstream {
  /** In the order the operator listed them. */
  targets: SnapshotTarget[];
  loadBalancing: SnapshotLoadBalancing;
  timeouts: SnapshotTimeouts;
  retries: SnapshotRetries;
  healthCheck: SnapshotHealthCheck;
  outlierDetection: SnapshotOutlierDetection;
  circuitBreaker: SnapshotCircuitBreaker;
  /** The Host header the upstream receives (`host[:port]`); `''` = the target's `host[:port]`. */
  hostRewrite: string;
}

export interface SnapshotTarget {
  url: string;
  /** 1..1000. */
  weight: number;
  /** The target's availability zone; `''` = none (never preferred by zone-aware balancing). */
  zone: string;
}

export const SNAPSHOT_LOAD_BALANCING_ALGORITHMS = ['round-robin', 'least-request', 'consistent-hash'] as const;
export type SnapshotLoadBalancingAlgorithm = (typeof SNAPSHOT_LOAD_BALANCING_ALGORITHMS)[number];

export interface SnapshotLoadBalancing {
  algorithm: SnapshotLoadBalancingAlgorithm;
  /** `source: 'none'` exactly when the algorithm is not `consistent-hash`. */
  hashOn: SnapshotHashOn;
  zoneAware: boolean;
  /** 0..100. */
  minZoneHealthyPercent: number;
}

export const SNAPSHOT_HASH_SOURCES = ['none', 'header', 'cookie', 'client-ip'] as const;
export type SnapshotHashSource = (typeof SNAPSHOT_HASH_SOURCES)[number];

export interface SnapshotHashOn {
  source: SnapshotHashSource;
  /** The lower-case header name or the (case-sensitive) cookie name; `''` for `none` and `client-ip`. */
  name: string;
}

export interface SnapshotTimeouts {
  /** TCP (and TLS) connect, per try → 502 GW_UPSTREAM_UNREACHABLE. */
  connectMs: number;
  /** Per try, until response headers → 504 GW_UPSTREAM_TIMEOUT. */
  requestMs: number;
  /** All tries and backoff together; ≥ requestMs. */
  totalMs: number;
}

/** `connect-failure`, `reset`, `timeout` (a per-try timeout) or a status `500`..`599` as a string. */
export type SnapshotRetryCondition = 'connect-failure' | 'reset' | 'timeout' | `5${number}`;
export const SNAPSHOT_RETRY_FAILURE_CONDITIONS = ['connect-failure', 'reset', 'timeout'] as const;

export interface SnapshotRetries {
  /** Retries after the first try, 0..5; 0 = off. */
  attempts: number;
  /** Sorted, deduplicated. */
  on: SnapshotRetryCondition[];
  backoffBaseMs: number;
  /** ≥ backoffBaseMs. */
  backoffMaxMs: number;
  /** 0..100: retries stay within this share of active requests… */
  budgetPercent: number;
  /** …or this many per second, whichever is more. */
  budgetMinPerSecond: number;
}

/** Disabled: `enabled: false`, `path: ''` and every number 0. */
export interface SnapshotHealthCheck {
  enabled: boolean;
  /** Origin-form path with an optional query, requested with GET; 2xx = healthy. */
  path: string;
  intervalMs: number;
  /** ≤ intervalMs. */
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

/** Disabled: `enabled: false` and every number 0. */
export interface SnapshotOutlierDetection {
  enabled: boolean;
  /** Consecutive 5xx responses or gateway failures (connect failure, reset, timeout) that eject a target. */
  consecutiveFailures: number;
  /** Ejected for baseEjectionMs × times ejected, capped at maxEjectionMs. */
  baseEjectionMs: number;
  maxEjectionMs: number;
  /** 0..100: never eject more than this share of the targets. */
  maxEjectionPercent: number;
}

/** Disabled: `enabled: false` and every number 0. */
export interface SnapshotCircuitBreaker {
  enabled: boolean;
  maxConcurrent: number;
  /** 0 = reject at once when maxConcurrent is reached. */
  maxPending: number;
  /** 1..100: the failure rate in the window that opens the breaker… */
  failureRatePercent: number;
  windowMs: number;
  /** …once the window holds at least this many requests. */
  minRequests: number;
  /** How long the breaker stays open before it lets half-open probes through. */
  openMs: number;
  halfOpenRequests: number;
}

/** A versioned snapshot: content plus the fleet version, the config epoch and the content hash. */
export interface Snapshot {
  /** The global config version this snapshot was compiled from. */
  version: number;
  /** The fleet config epoch; changes only by a deliberate restore. */
  epoch: number;
  /** Lower-case hex SHA-256 of the canonical serialization of `content`. */
  hash: string;
  content: SnapshotContent;
}

export const DISABLED_HEALTH_CHECK: Readonly<SnapshotHealthCheck> = Object.freeze({
  enabled: false,
  path: '',
  intervalMs: 0,
  timeoutMs: 0,
  healthyThreshold: 0,
  unhealthyThreshold: 0,
});

export const DISABLED_OUTLIER_DETECTION: Readonly<SnapshotOutlierDetection> = Object.freeze({
  enabled: false,
  consecutiveFailures: 0,
  baseEjectionMs: 0,
  maxEjectionMs: 0,
  maxEjectionPercent: 0,
});

export const DISABLED_CIRCUIT_BREAKER: Readonly<SnapshotCircuitBreaker> = Object.freeze({
  enabled: false,
  maxConcurrent: 0,
  maxPending: 0,
  failureRatePercent: 0,
  windowMs: 0,
  minRequests: 0,
  openMs: 0,
  halfOpenRequests: 0,
});

export const NO_HASH: Readonly<SnapshotHashOn> = Object.freeze({ source: 'none', name: '' });
