import { describe, expect, it } from 'vitest';
import { hashSnapshotContent } from './snapshot-hash.js';
import { validateSnapshotContent, verifySnapshot } from './snapshot-validation.js';
import { noPolicies, type SnapshotPolicies } from './snapshot-policies.js';
import type { SnapshotApi, SnapshotContent } from './snapshot.js';
import { plainApi, plainUpstream, samplePolicies } from './testing/index.js';

function full(): SnapshotApi {
  return plainApi('orders', '/orders', [{ url: 'http://10.0.0.7:8080', weight: 2, zone: 'a' }], {
    hosts: ['*.example.com', 'api.example.com'],
    routes: [
      { name: 'create', methods: ['POST'], path: '/' },
      { name: 'get', methods: ['GET', 'HEAD'], path: '/:id' },
      { name: 'rest', methods: [], path: '/files/*' },
    ],
    upstream: plainUpstream([{ url: 'http://10.0.0.7:8080', weight: 2, zone: 'a' }], {
      loadBalancing: { algorithm: 'consistent-hash', hashOn: { source: 'header', name: 'x-user' }, zoneAware: true, minZoneHealthyPercent: 70 },
      retries: { attempts: 2, on: ['502', 'connect-failure', 'reset'], backoffBaseMs: 25, backoffMaxMs: 250, budgetPercent: 20, budgetMinPerSecond: 3 },
      healthCheck: { enabled: true, path: '/health', intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3 },
      outlierDetection: { enabled: true, consecutiveFailures: 5, baseEjectionMs: 30000, maxEjectionMs: 300000, maxEjectionPercent: 50 },
      circuitBreaker: { enabled: true, maxConcurrent: 1024, maxPending: 0, failureRatePercent: 50, windowMs: 10000, minRequests: 20, openMs: 5000, halfOpenRequests: 3 },
      hostRewrite: 'orders.internal:8080',
    }),
  });
}

/** The problem paths after `mutate` changed a copy of the full API. */
function pathsAfter(mutate: (api: SnapshotApi) => void): string[] {
  const api = structuredClone(full());
  mutate(api);
  return validateSnapshotContent({ apis: [api] }).map((p) => p.path);
}

describe('validateSnapshotContent', () => {
  it('accepts a snapshot using every field, and the plain test fixtures', () => {
    expect(validateSnapshotContent({ apis: [full(), plainApi('plain', '/plain', ['http://a'])] })).toEqual([]);
  });

  it.each<[string, (api: SnapshotApi) => void, string]>([
    ['an unsorted host list', (a) => (a.hosts = ['b.example.com', 'a.example.com']), 'apis[0].hosts[1]'],
    ['a bad wildcard', (a) => (a.hosts = ['a.*.example.com']), 'apis[0].hosts[0]'],
    ['routes not sorted by name', (a) => a.routes.reverse(), 'apis[0].routes[1].name'],
    ['an unknown route method', (a) => (a.routes[0]!.methods = ['FETCH']), 'apis[0].routes[0].methods[0]'],
    ['unsorted methods', (a) => (a.routes[1]!.methods = ['HEAD', 'GET']), 'apis[0].routes[1].methods[1]'],
    ['a regex route path', (a) => (a.routes[1]!.path = '/:id(\\d+)'), 'apis[0].routes[1].path'],
    ['two routes on one method and path shape', (a) => (a.routes[2]!.path = '/:key'), 'apis[0].routes[2]'],
    ['a zero weight', (a) => (a.upstream.targets[0]!.weight = 0), 'apis[0].upstream.targets[0].weight'],
    ['a bad zone', (a) => (a.upstream.targets[0]!.zone = 'a b'), 'apis[0].upstream.targets[0].zone'],
    ['an unknown algorithm', (a) => ((a.upstream.loadBalancing as { algorithm: string }).algorithm = 'random'), 'apis[0].upstream.loadBalancing.algorithm'],
    ['hashOn none with consistent-hash', (a) => (a.upstream.loadBalancing.hashOn = { source: 'none', name: '' }), 'apis[0].upstream.loadBalancing.hashOn.source'],
    ['a hash header with upper case', (a) => (a.upstream.loadBalancing.hashOn.name = 'X-User'), 'apis[0].upstream.loadBalancing.hashOn.name'],
    ['totalMs below requestMs', (a) => (a.upstream.timeouts.totalMs = 10), 'apis[0].upstream.timeouts.totalMs'],
    ['six retry attempts', (a) => (a.upstream.retries.attempts = 6), 'apis[0].upstream.retries.attempts'],
    ['an unknown retry condition', (a) => (a.upstream.retries.on = ['429']), 'apis[0].upstream.retries.on[0]'],
    ['unsorted retry conditions', (a) => (a.upstream.retries.on = ['reset', '502']), 'apis[0].upstream.retries.on[1]'],
    ['a health timeout above the interval', (a) => (a.upstream.healthCheck.timeoutMs = 6000), 'apis[0].upstream.healthCheck.timeoutMs'],
    ['a disabled health check with values', (a) => (a.upstream.healthCheck.enabled = false), 'apis[0].upstream.healthCheck.path'],
    ['a disabled outlier detection with values', (a) => (a.upstream.outlierDetection.enabled = false), 'apis[0].upstream.outlierDetection.consecutiveFailures'],
    ['a breaker with zero concurrency', (a) => (a.upstream.circuitBreaker.maxConcurrent = 0), 'apis[0].upstream.circuitBreaker.maxConcurrent'],
    ['a missing breaker block', (a) => ((a.upstream as unknown as Record<string, unknown>)['circuitBreaker'] = null), 'apis[0].upstream.circuitBreaker'],
    ['a host rewrite with a path', (a) => (a.upstream.hostRewrite = 'h/x'), 'apis[0].upstream.hostRewrite'],
  ])('rejects %s', (_label, mutate, path) => {
    expect(pathsAfter(mutate)).toContain(path);
  });

  it('rejects two APIs claiming one host and base path, but not a wildcard beside an exact host', () => {
    const a = plainApi('a', '/x', ['http://a'], { hosts: ['*.example.com'] });
    const b = plainApi('b', '/x', ['http://a'], { hosts: ['a.example.com'] });
    const c = plainApi('c', '/x', ['http://a'], { hosts: ['*.example.com'] });
    expect(validateSnapshotContent({ apis: [a, b] })).toEqual([]);
    expect(validateSnapshotContent({ apis: [a, b, c] })).toEqual([{ path: 'apis[2].basePath', message: 'route *.example.com/x is claimed twice' }]);
  });

  it('verifies the hash of valid content', () => {
    const content: SnapshotContent = { apis: [full()] };
    expect(verifySnapshot({ version: 1, epoch: 1, hash: hashSnapshotContent(content), content })).toEqual({ ok: true });
    expect(verifySnapshot({ version: 1, epoch: 1, hash: '0'.repeat(64), content })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
  });
});

describe('validateSnapshotContent: policies', () => {
  const SECRET = samplePolicies().auth.jwt.keys[2]!.k;
  function withPolicies(mutate: (p: SnapshotPolicies, api: SnapshotApi) => void): string[] {
    const api = structuredClone(full());
    api.policies = samplePolicies();
    api.routes[0]!.rateLimits = [{ name: 'create', limit: 5, windowMs: 1000, burst: 5, key: { by: 'consumer', name: '' }, scope: 'global', failureMode: 'open' }];
    mutate(api.policies, api);
    const problems = validateSnapshotContent({ apis: [api] });
    // Problems go into NACKs and logs: never a secret in them.
    expect(JSON.stringify(problems)).not.toContain(SECRET);
    return problems.map((p) => p.path);
  }

  it('accepts a snapshot of an earlier version without policies (a runtime cache file written before the upgrade)', () => {
    const api = structuredClone(full()) as unknown as Record<string, unknown> & { routes: Record<string, unknown>[] };
    delete api['policies'];
    for (const r of api.routes) delete r['rateLimits'];
    expect(validateSnapshotContent({ apis: [api as unknown as SnapshotApi] })).toEqual([]);
  });

  it('accepts every policy on, and every policy off (the plain fixtures)', () => {
    expect(withPolicies(() => undefined)).toEqual([]);
    expect(validateSnapshotContent({ apis: [plainApi('plain', '/plain', ['http://a'], { policies: noPolicies() })] })).toEqual([]);
  });

  it.each<[string, (p: SnapshotPolicies, api: SnapshotApi) => void, string]>([
    ['a null policies block', (_p, a) => ((a as unknown as Record<string, unknown>)['policies'] = null), 'apis[0].policies'],
    ['an upper-case consumer header', (p) => (p.consumerHeader = 'X-Client'), 'apis[0].policies.consumerHeader'],
    ['unsorted origins', (p) => p.cors.allowOrigins.reverse(), 'apis[0].policies.cors.allowOrigins[1]'],
    ['"*" with credentials', (p) => (p.cors.allowOrigins = ['*']), 'apis[0].policies.cors.allowCredentials'],
    ['a disabled CORS block with values', (p) => (p.cors.enabled = false), 'apis[0].policies.cors.allowOrigins'],
    ['an unknown key location', (p) => ((p.auth.apiKey as { location: string }).location = 'cookie'), 'apis[0].policies.auth.apiKey.location'],
    ['a key hash in upper case', (p) => (p.auth.apiKey.keys[0]!.sha256 = 'A'.repeat(64)), 'apis[0].policies.auth.apiKey.keys[0].sha256'],
    ['unsorted key hashes', (p) => p.auth.apiKey.keys.reverse(), 'apis[0].policies.auth.apiKey.keys[1].sha256'],
    ['auth on with both schemes off', (p) => ((p.auth.apiKey = { enabled: false, location: '', name: '', forward: false, keys: [] }), (p.auth.jwt.enabled = false), (p.auth.jwt = { ...p.auth.jwt, keys: [], jwksUrl: '', issuers: [], audiences: [], algorithms: [], clockSkewSec: 0, requireExp: false, consumerClaim: '', forward: false })), 'apis[0].policies.auth'],
    ['an HMAC key without its secret', (p) => (p.auth.jwt.keys[2]!.k = ''), 'apis[0].policies.auth.jwt.keys[2].k'],
    ['an RSA key carrying a secret member', (p) => (p.auth.jwt.keys[0]!.k = SECRET), 'apis[0].policies.auth.jwt.keys[0].k'],
    ['algorithm none', (p) => (p.auth.jwt.algorithms = ['none']), 'apis[0].policies.auth.jwt.algorithms[0]'],
    ['a clock skew above 300 s', (p) => (p.auth.jwt.clockSkewSec = 301), 'apis[0].policies.auth.jwt.clockSkewSec'],
    ['a rate limit of 0', (p) => (p.rateLimits[0]!.limit = 0), 'apis[0].policies.rateLimits[0].limit'],
    ['two rate limits with one name', (p) => (p.rateLimits[1]!.name = 'per-ip'), 'apis[0].policies.rateLimits[1].name'],
    ['an ip key with a name', (p) => (p.rateLimits[0]!.key.name = 'x'), 'apis[0].policies.rateLimits[0].key.name'],
    ['a bad route rate limit', (_p, a) => (a.routes[0]!.rateLimits[0]!.failureMode = 'maybe' as 'open'), 'apis[0].routes[0].rateLimits[0].failureMode'],
    ['a null route rate limit list', (_p, a) => ((a.routes[1] as unknown as Record<string, unknown>)['rateLimits'] = null), 'apis[0].routes[1].rateLimits'],
    ['idempotency for GET', (p) => (p.idempotency.methods = ['GET']), 'apis[0].policies.idempotency.methods[0]'],
    ['a lock above the TTL', (p) => (p.idempotency.lockTtlMs = p.idempotency.ttlMs + 1), 'apis[0].policies.idempotency.lockTtlMs'],
    ['disabled idempotency with values', (p) => (p.idempotency.enabled = false), 'apis[0].policies.idempotency.methods'],
  ])('rejects %s', (_label, mutate, path) => {
    expect(withPolicies(mutate)).toContain(path);
  });
});
