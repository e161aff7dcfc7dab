import {
  DISABLED_CIRCUIT_BREAKER,
  DISABLED_HEALTH_CHECK,
  DISABLED_OUTLIER_DETECTION,
  NO_HASH,
  type SnapshotApi,
  type SnapshotTarget,
  type SnapshotUpstream,
} from '../snapshot.js';
import { noPolicies, type SnapshotPolicies } from '../snapshot-policies.js';

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

/** A valid API for tests: any host, base path stripped, no routes, a `plainUpstream`, every policy off. */
export function plainApi(name: string, basePath: string, targets: readonly TestTarget[], overrides: Partial<SnapshotApi> = {}): SnapshotApi {
  const api: SnapshotApi = { name, hosts: [], basePath, stripBasePath: true, routes: [], upstream: plainUpstream(targets), policies: noPolicies(), ...overrides };
  // Routes written in tests as `{ name, methods, path }` get their (empty) rate limits.
  api.routes = api.routes.map((r) => ({ ...r, rateLimits: r.rateLimits ?? [] }));
  return api;
}

/**
 * Policies with every block on and every field set to something other than its zero
 * value (structurally valid; the JWK members are not real keys), for validation and
 * codec tests.
 */
export function samplePolicies(): SnapshotPolicies {
  return {
    consumerHeader: 'x-client',
    cors: {
      enabled: true,
      allowOrigins: ['https://*.shop.example', 'https://app.example.com:8443'],
      allowMethods: ['DELETE', 'GET', 'POST'],
      allowHeaders: ['authorization', 'idempotency-key'],
      exposeHeaders: ['ratelimit', 'retry-after'],
      allowCredentials: true,
      maxAgeSec: 600,
    },
    auth: {
      enabled: true,
      apiKey: {
        enabled: true,
        location: 'query',
        name: 'api_key',
        forward: true,
        keys: [
          { id: 'alice-1', sha256: 'a'.repeat(64), consumer: 'alice' },
          { id: '', sha256: 'b'.repeat(64), consumer: 'bob@example.com' },
        ],
      },
      jwt: {
        enabled: true,
        keys: [
          { kty: 'RSA', kid: 'rs-1', alg: 'RS256', use: 'sig', crv: '', x: '', y: '', n: 'AQAB-n', e: 'AQAB', k: '' },
          { kty: 'EC', kid: 'ec-1', alg: '', use: '', crv: 'P-256', x: 'x-coord', y: 'y-coord', n: '', e: '', k: '' },
          { kty: 'oct', kid: 'hs-1', alg: 'HS256', use: '', crv: '', x: '', y: '', n: '', e: '', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' },
        ],
        jwksUrl: 'https://idp.example/.well-known/jwks.json?tenant=1',
        issuers: ['https://idp.example/'],
        audiences: ['orders', 'orders-admin'],
        algorithms: ['ES256', 'HS256', 'RS256'],
        clockSkewSec: 45,
        requireExp: true,
        consumerClaim: 'client_id',
        forward: true,
      },
      allowConsumers: ['alice', 'carol'],
    },
    rateLimits: [
      { name: 'per-ip', limit: 100, windowMs: 60_000, burst: 150, key: { by: 'ip', name: '' }, scope: 'global', failureMode: 'open' },
      { name: 'tenant', limit: 7, windowMs: 1_000, burst: 7, key: { by: 'header', name: 'x-tenant' }, scope: 'local', failureMode: 'closed' },
      { name: 'consumer', limit: 1_000_000_000, windowMs: 86_400_000, burst: 1, key: { by: 'consumer', name: '' }, scope: 'global', failureMode: 'closed' },
    ],
    idempotency: { enabled: true, methods: ['PATCH', 'POST'], required: true, headerName: 'idempotency-key', ttlMs: 2_592_000_000, lockTtlMs: 120_000, maxResponseBytes: 16_777_216 },
  };
}
