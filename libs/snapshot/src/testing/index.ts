import {
  DISABLED_CIRCUIT_BREAKER,
  DISABLED_HEALTH_CHECK,
  DISABLED_OUTLIER_DETECTION,
  NO_HASH,
  type SnapshotApi,
  type SnapshotTarget,
  type SnapshotUpstream,
} from '../snapshot.js';

/** A target URL, or a target with some fields given (weight 1 and no zone otherwise). */
export type TestTarget = string | (Partial<SnapshotTarget> & { url: string });

/**
 * A valid upstream for tests with every resilience feature off: round robin, no zones,
 * no retries, no health checks, no outlier detection, no breaker, short timeouts
 * (connect 1 s, request 5 s, total 10 s). Override what a test is about.
 */
export function plainUpstream(targets: readonly TestTarget[], overrides: Partial<SnapshotUpstream> = {}): SnapshotUpstream {
  return {
    targets: targets.map((t) => (typeof t === 'string' ? { url: t, weight: 1, zone: '' } : { weight: 1, zone: '', ...t })),
    loadBalancing: { algorithm: 'round-robin', hashOn: { ...NO_HASH }, zoneAware: false, minZoneHealthyPercent: 0 },
    timeouts: { connectMs: 1_000, requestMs: 5_000, totalMs: 10_000 },
    retries: { attempts: 0, on: [], backoffBaseMs: 25, backoffMaxMs: 250, budgetPercent: 20, budgetMinPerSecond: 3 },
    healthCheck: { ...DISABLED_HEALTH_CHECK },
    outlierDetection: { ...DISABLED_OUTLIER_DETECTION },
    circuitBreaker: { ...DISABLED_CIRCUIT_BREAKER },
    hostRewrite: '',
    ...overrides,
  };
}

/** A valid API for tests: any host, base path stripped, no routes, a `plainUpstream`. */
export function plainApi(name: string, basePath: string, targets: readonly TestTarget[], overrides: Partial<SnapshotApi> = {}): SnapshotApi {
  return { name, hosts: [], basePath, stripBasePath: true, routes: [], upstream: plainUpstream(targets), ...overrides };
}
