import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { canonicalJson, hashSnapshotContent, verifySnapshot } from '@gw/config-contract';
import { describe, expect, it } from 'vitest';
import { compileSnapshot } from './compile-snapshot.js';

/** A normalized definition, as the store holds it: built from input through the real validator. */
function api(name: string, over: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}): ApiDefinition {
  const result = validateApiDefinition({ name, basePath: `/${name}`, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }], ...upstream }, ...over });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

/** The same value with every object's keys in reverse insertion order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

const HS_SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA';

const ROUTES = [
  { name: 'get', methods: ['HEAD', 'GET'], path: '/:id' },
  { name: 'create', methods: ['POST'], path: '/' },
];

describe('compileSnapshot', () => {
  it('is deterministic: input order and key order do not change bytes or hash', () => {
    const a = [
      api('orders', { hosts: ['b.example.com', '*.a.example.com', 'a.example.com'], routes: ROUTES }, { retries: { on: ['reset', '503', 'connect-failure'] } }),
      api('billing'),
      api('users'),
    ];
    const b = [a[2]!, a[0]!, a[1]!].map((d) => reverseKeys(d) as ApiDefinition);
    const x = compileSnapshot({ version: 7, epoch: 1, apis: a });
    const y = compileSnapshot({ version: 7, epoch: 1, apis: b });
    expect(canonicalJson(x.snapshot)).toBe(canonicalJson(y.snapshot));
    expect(x.snapshot.hash).toBe(y.snapshot.hash);
    expect(x.snapshot.content.apis.map((s) => s.name)).toEqual(['billing', 'orders', 'users']);
    const orders = x.snapshot.content.apis[1]!;
    expect(orders.hosts).toEqual(['*.a.example.com', 'a.example.com', 'b.example.com']);
    // Orders that carry no meaning are canonical: routes by name, methods and retry conditions sorted.
    expect(orders.routes).toEqual([
      { name: 'create', methods: ['POST'], path: '/', rateLimits: [] },
      { name: 'get', methods: ['GET', 'HEAD'], path: '/:id', rateLimits: [] },
    ]);
    expect(orders.upstream.retries.on).toEqual(['503', 'connect-failure', 'reset']);
  });

  it('makes every default explicit: disabled blocks with zero values, empty strings for absent ones', () => {
    const { snapshot } = compileSnapshot({ version: 1, epoch: 1, apis: [api('orders')] });
    expect(snapshot.content.apis[0]).toEqual({
      name: 'orders',
      hosts: [],
      basePath: '/orders',
      stripBasePath: true,
      routes: [],
      upstream: {
        targets: [{ url: 'http://10.0.0.7:8080', weight: 1, zone: '' }],
        loadBalancing: { algorithm: 'round-robin', hashOn: { source: 'none', name: '' }, zoneAware: true, minZoneHealthyPercent: 70 },
        timeouts: { connectMs: 5000, requestMs: 30000, totalMs: 60000 },
        retries: { attempts: 2, on: ['502', '503', '504', 'connect-failure', 'reset'], backoffBaseMs: 25, backoffMaxMs: 250, budgetPercent: 20, budgetMinPerSecond: 3 },
        healthCheck: { enabled: false, path: '', intervalMs: 0, timeoutMs: 0, healthyThreshold: 0, unhealthyThreshold: 0 },
        outlierDetection: { enabled: true, consecutiveFailures: 5, baseEjectionMs: 30000, maxEjectionMs: 300000, maxEjectionPercent: 50 },
        circuitBreaker: { enabled: true, maxConcurrent: 1024, maxPending: 128, failureRatePercent: 50, windowMs: 10000, minRequests: 20, openMs: 5000, halfOpenRequests: 3 },
        hostRewrite: '',
      },
      policies: {
        consumerHeader: 'x-consumer-id',
        cors: { enabled: false, allowOrigins: [], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false, maxAgeSec: 0 },
        auth: {
          enabled: false,
          apiKey: { enabled: false, location: '', name: '', forward: false, keys: [] },
          jwt: { enabled: false, keys: [], jwksUrl: '', issuers: [], audiences: [], algorithms: [], clockSkewSec: 0, requireExp: false, consumerClaim: '', forward: false },
          allowConsumers: [],
        },
        rateLimits: [],
        idempotency: { enabled: false, methods: [], required: false, headerName: '', ttlMs: 0, lockTtlMs: 0, maxResponseBytes: 0 },
      },
    });
  });

  it('compiles every configured block and the hash-on variants', () => {
    const { snapshot, problems } = compileSnapshot({
      version: 1,
      epoch: 1,
      apis: [
        api('a', {}, {
          targets: [{ url: 'http://10.0.0.7:8080', zone: 'zone-a', weight: 2 }],
          loadBalancing: { algorithm: 'consistent-hash', hashOn: { header: 'X-User-Id' } },
          healthCheck: { path: '/ready' },
          outlierDetection: null,
          circuitBreaker: null,
          hostRewrite: 'A.Internal:8080',
        }),
        api('b', {}, { loadBalancing: { algorithm: 'consistent-hash', hashOn: { cookie: 'Sid' } } }),
        api('c', {}, { loadBalancing: { algorithm: 'consistent-hash', hashOn: { clientIp: true }, zoneAware: false } }),
      ],
    });
    expect(problems).toEqual([]);
    const [a, b, c] = snapshot.content.apis.map((x) => x.upstream);
    expect(a!.targets).toEqual([{ url: 'http://10.0.0.7:8080', weight: 2, zone: 'zone-a' }]);
    expect(a!.loadBalancing.hashOn).toEqual({ source: 'header', name: 'x-user-id' });
    expect(a!.healthCheck).toEqual({ enabled: true, path: '/ready', intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3 });
    expect(a!.outlierDetection).toEqual({ enabled: false, consecutiveFailures: 0, baseEjectionMs: 0, maxEjectionMs: 0, maxEjectionPercent: 0 });
    expect(a!.circuitBreaker.enabled).toBe(false);
    expect(a!.hostRewrite).toBe('a.internal:8080');
    expect(b!.loadBalancing.hashOn).toEqual({ source: 'cookie', name: 'Sid' });
    expect(c!.loadBalancing).toEqual({ algorithm: 'consistent-hash', hashOn: { source: 'client-ip', name: '' }, zoneAware: false, minZoneHealthyPercent: 70 });
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
  });

  it('compiles policies: sorted where order means nothing, the operator order where it does, disabled forms for the rest', () => {
    const def = api('orders', {
      routes: [{ name: 'create', methods: ['POST'], path: '/', rateLimits: [{ name: 'c', limit: 5, windowMs: 1000, key: { by: 'header', name: 'X-Tenant' } }] }],
      policies: {
        cors: { allowOrigins: ['https://b.example', 'https://a.example'], allowMethods: ['PUT', 'GET'], exposeHeaders: ['RateLimit'] },
        auth: {
          apiKey: { in: { header: 'X-Key' }, keys: [{ sha256: 'b'.repeat(64), consumer: 'bob' }, { id: 'a-1', sha256: 'A'.repeat(64), consumer: 'alice' }] },
          jwt: { keys: [{ kty: 'oct', kid: 'hs', k: HS_SECRET }], jwksUrl: 'https://idp.example/jwks', audiences: ['z', 'orders'], algorithms: ['HS256', 'ES256'] },
          allowConsumers: ['bob', 'alice'],
        },
        rateLimits: [{ name: 'z', limit: 1, windowMs: 1000 }, { name: 'a', limit: 2, windowMs: 1000, key: { by: 'consumer' } }],
        idempotency: { methods: ['POST', 'DELETE'] },
      },
    });
    const { snapshot, problems } = compileSnapshot({ version: 1, epoch: 1, apis: [def] });
    expect(problems).toEqual([]);
    const out = snapshot.content.apis[0]!;
    expect(out.policies.cors).toEqual({ enabled: true, allowOrigins: ['https://a.example', 'https://b.example'], allowMethods: ['GET', 'PUT'], allowHeaders: [], exposeHeaders: ['ratelimit'], allowCredentials: false, maxAgeSec: 600 });
    expect(out.policies.auth.apiKey).toEqual({
      enabled: true,
      location: 'header',
      name: 'x-key',
      forward: false,
      keys: [{ id: 'a-1', sha256: 'a'.repeat(64), consumer: 'alice' }, { id: '', sha256: 'b'.repeat(64), consumer: 'bob' }],
    });
    expect(out.policies.auth.jwt).toEqual({
      enabled: true,
      keys: [{ kty: 'oct', kid: 'hs', alg: '', use: '', crv: '', x: '', y: '', n: '', e: '', k: HS_SECRET }],
      jwksUrl: 'https://idp.example/jwks',
      issuers: [],
      audiences: ['orders', 'z'],
      algorithms: ['ES256', 'HS256'],
      clockSkewSec: 30,
      requireExp: true,
      consumerClaim: 'sub',
      forward: true,
    });
    expect(out.policies.auth.allowConsumers).toEqual(['alice', 'bob']);
    expect(out.policies.rateLimits.map((r) => [r.name, r.key])).toEqual([['z', { by: 'ip', name: '' }], ['a', { by: 'consumer', name: '' }]]);
    expect(out.routes[0]!.rateLimits).toEqual([{ name: 'c', limit: 5, windowMs: 1000, burst: 5, key: { by: 'header', name: 'x-tenant' }, scope: 'global', failureMode: 'open' }]);
    expect(out.policies.idempotency).toEqual({ enabled: true, methods: ['DELETE', 'POST'], required: false, headerName: 'idempotency-key', ttlMs: 86_400_000, lockTtlMs: 120_000, maxResponseBytes: 1_048_576 });
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
  });

  it('hashes content only, so the same content under a new version keeps its hash', () => {
    const x = compileSnapshot({ version: 7, epoch: 1, apis: [api('orders')] });
    const y = compileSnapshot({ version: 8, epoch: 1, apis: [api('orders')] });
    expect(y.snapshot.hash).toBe(x.snapshot.hash);
    expect(y.snapshot.version).toBe(8);
  });

  it('changes the hash when anything a runtime uses changes', () => {
    const base = compileSnapshot({ version: 1, epoch: 1, apis: [api('orders')] }).snapshot.hash;
    const variants: ApiDefinition[] = [
      api('orders', { basePath: '/o' }),
      api('orders', { stripBasePath: false }),
      api('orders', { hosts: ['x.example.com'] }),
      api('orders', { hosts: ['*.example.com'] }),
      api('orders', { routes: [{ name: 'r', path: '/' }] }),
      api('orders', { routes: [{ name: 'r', methods: ['GET'], path: '/' }] }),
      api('orders', {}, { targets: [{ url: 'http://10.0.0.8:8080' }] }),
      api('orders', {}, { targets: [{ url: 'http://10.0.0.7:8080', weight: 2 }] }),
      api('orders', {}, { targets: [{ url: 'http://10.0.0.7:8080', zone: 'a' }] }),
      api('orders', {}, { timeouts: { connectMs: 1 } }),
      api('orders', {}, { timeouts: { totalMs: 30_000 } }),
      api('orders', {}, { loadBalancing: { algorithm: 'least-request' } }),
      api('orders', {}, { loadBalancing: { zoneAware: false } }),
      api('orders', {}, { loadBalancing: { minZoneHealthyPercent: 50 } }),
      api('orders', {}, { loadBalancing: { algorithm: 'consistent-hash', hashOn: { clientIp: true } } }),
      api('orders', {}, { retries: { attempts: 0 } }),
      api('orders', {}, { retries: { on: ['reset'] } }),
      api('orders', {}, { retries: { backoffBaseMs: 26 } }),
      api('orders', {}, { retries: { backoffMaxMs: 251 } }),
      api('orders', {}, { retries: { budgetPercent: 21 } }),
      api('orders', {}, { retries: { budgetMinPerSecond: 4 } }),
      api('orders', {}, { healthCheck: {} }),
      api('orders', {}, { outlierDetection: null }),
      api('orders', {}, { outlierDetection: { maxEjectionPercent: 10 } }),
      api('orders', {}, { circuitBreaker: null }),
      api('orders', {}, { circuitBreaker: { halfOpenRequests: 4 } }),
      api('orders', {}, { hostRewrite: 'h.example' }),
      api('orders', { policies: { consumerHeader: 'x-user' } }),
      api('orders', { policies: { cors: { allowOrigins: ['*'] } } }),
      api('orders', { policies: { auth: { apiKey: { keys: [{ sha256: 'a'.repeat(64), consumer: 'a' }] } } } }),
      api('orders', { policies: { auth: { apiKey: { keys: [{ sha256: 'a'.repeat(64), consumer: 'b' }] } } } }),
      api('orders', { policies: { auth: { jwt: { keys: [{ kty: 'oct', k: HS_SECRET }] } } } }),
      api('orders', { policies: { auth: { jwt: { keys: [{ kty: 'oct', k: HS_SECRET.replace(/^./, 'Z') }] } } } }),
      api('orders', { policies: { rateLimits: [{ name: 'a', limit: 1, windowMs: 1000 }] } }),
      api('orders', { policies: { rateLimits: [{ name: 'a', limit: 1, windowMs: 1000, failureMode: 'closed' }] } }),
      api('orders', { routes: [{ name: 'r', path: '/', rateLimits: [{ name: 'a', limit: 1, windowMs: 1000 }] }] }),
      api('orders', { policies: { idempotency: {} } }),
      api('orders', { policies: { idempotency: { required: true } } }),
    ];
    const hashes = new Set(variants.map((v) => compileSnapshot({ version: 1, epoch: 1, apis: [v] }).snapshot.hash));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
  });

  it('produces a snapshot the runtime accepts, with the hash of its canonical content', () => {
    const { snapshot, problems } = compileSnapshot({ version: 3, epoch: 2, apis: [api('orders', { routes: ROUTES }), api('users')] });
    expect(problems).toEqual([]);
    expect(snapshot.hash).toBe(hashSnapshotContent(snapshot.content));
    expect(snapshot.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
  });

  it('compiles an empty state to a valid empty snapshot', () => {
    const { snapshot } = compileSnapshot({ version: 0, epoch: 1, apis: [] });
    expect(snapshot.content.apis).toEqual([]);
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
  });

  it('leaves out the later of two APIs claiming one route, and says why', () => {
    const { snapshot, problems } = compileSnapshot({
      version: 1,
      epoch: 1,
      apis: [api('zeta', { basePath: '/shop' }), api('alpha', { basePath: '/shop' }), api('other')],
    });
    expect(snapshot.content.apis.map((a) => a.name)).toEqual(['alpha', 'other']);
    expect(problems).toEqual([{ api: 'zeta', message: expect.stringContaining('already served by API "alpha"') }]);
  });

  it('lets two APIs share a base path on different hosts, and a wildcard share it with an exact host it covers', () => {
    const { snapshot, problems } = compileSnapshot({
      version: 1,
      epoch: 1,
      apis: [
        api('a', { basePath: '/shop', hosts: ['a.example.com'] }),
        api('b', { basePath: '/shop', hosts: ['b.example.com'] }),
        api('c', { basePath: '/shop', hosts: ['*.example.com'] }),
        api('d', { basePath: '/shop' }),
        api('e', { basePath: '/shop', hosts: ['*.example.com'] }),
      ],
    });
    expect(snapshot.content.apis.map((a) => a.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(problems).toEqual([{ api: 'e', message: 'route *.example.com/shop is already served by API "c"' }]);
  });

  it('fills defaults of a stored definition written before a field existed, and leaves out one that is no longer valid', () => {
    const old = { name: 'old', basePath: '/old', hosts: [], stripBasePath: true, upstream: { targets: [{ url: 'http://10.0.0.7:8080', weight: 1 }], timeouts: { connectMs: 5000, requestMs: 30000 } } };
    const broken = { ...old, name: 'broken', basePath: 'no-slash' };
    const { snapshot, problems } = compileSnapshot({ version: 1, epoch: 1, apis: [old, broken] as unknown as ApiDefinition[] });
    expect(snapshot.content.apis.map((a) => a.name)).toEqual(['old']);
    expect(snapshot.content.apis[0]).toEqual(compileSnapshot({ version: 1, epoch: 1, apis: [api('old')] }).snapshot.content.apis[0]);
    expect(problems).toEqual([{ api: 'broken', message: 'stored definition is invalid: basePath must start with "/"' }]);
  });
});
