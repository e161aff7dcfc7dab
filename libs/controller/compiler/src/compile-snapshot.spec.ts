import { compactDefinition, validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { canonicalJson, contentHash, decodeApiResource, stateHash, verifySnapshot } from '@gw/config-contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DesiredApi } from './compile-api.js';
import { compileSnapshot } from './compile-snapshot.js';

/** A normalized definition, as the store holds it: built from input through the real validator. */
function api(name: string, over: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}): ApiDefinition {
  const result = validateApiDefinition({ name, basePath: `/${name}`, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }], ...upstream }, ...over });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

/** Stored APIs at revision 1 (or the given ones). */
function stored(...defs: ApiDefinition[]): DesiredApi[] {
  return defs.map((definition) => ({ definition, revision: 1 }));
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
  it('is deterministic: input order and key order do not change resources or hashes', () => {
    const a = [api('orders', { hosts: ['b.example.com', '*.a.example.com', 'a.example.com'], routes: ROUTES }, { retries: { on: ['reset', '503', 'connect-failure'] } }), api('billing'), api('users')];
    const b = [a[2]!, a[0]!, a[1]!].map((d) => reverseKeys(d) as ApiDefinition);
    const x = compileSnapshot({ version: 7, epoch: 1, apis: stored(...a) });
    const y = compileSnapshot({ version: 7, epoch: 1, apis: stored(...b) });
    expect(y.snapshot).toEqual(x.snapshot);
    expect(x.snapshot.resources.map((r) => r.name)).toEqual(['billing', 'orders', 'users']);
    expect(x.snapshot.hash).toBe(stateHash(x.snapshot.resources));
  });

  it('emits exactly what the runtime consumes: the compacted definition as canonical JSON, with its revision and content hash', () => {
    const def = api('orders', { routes: ROUTES, policies: { rateLimits: [{ name: 'ip', limit: 5, windowMs: 1000 }] } }, { outlierDetection: null });
    const { snapshot, problems } = compileSnapshot({ version: 4, epoch: 2, apis: [{ definition: def, revision: 9 }] });
    expect(problems).toEqual([]);
    const [resource] = snapshot.resources;
    const compact = compactDefinition(def);
    expect(resource).toEqual({ type: 'api', name: 'orders', version: 9, hash: contentHash(canonicalJson(compact)), content: canonicalJson(compact) });
    // Only what differs from a default travels: a feature off by default is left out, one
    // off where on is the default stays `null`; the runtime decodes the very same definition.
    expect(JSON.parse(resource!.content)).toEqual({
      name: 'orders',
      basePath: '/orders',
      routes: [{ name: 'get', methods: ['HEAD', 'GET'], path: '/:id' }, { name: 'create', methods: ['POST'], path: '/' }],
      upstream: { targets: [{ url: 'http://10.0.0.7:8080' }], outlierDetection: null },
      policies: { rateLimits: [{ name: 'ip', limit: 5, windowMs: 1000 }] },
    });
    expect(decodeApiResource(resource!)).toEqual({ ok: true, api: def });
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
  });

  it('property: every emitted resource decodes, as the runtime decodes it, to exactly the stored definition, and is never larger than it', () => {
    const upstream = fc.record(
      {
        timeouts: fc.record({ connectMs: fc.integer({ min: 1, max: 10_000 }), requestMs: fc.integer({ min: 1, max: 100_000 }), totalMs: fc.integer({ min: 100_000, max: 200_000 }) }, { requiredKeys: [] }),
        retries: fc.record({ attempts: fc.integer({ min: 0, max: 5 }), backoffBaseMs: fc.integer({ min: 1, max: 1_000 }), backoffMaxMs: fc.integer({ min: 1_000, max: 2_000 }) }, { requiredKeys: [] }),
        healthCheck: fc.constantFrom(null, {}, { intervalMs: 500 }, { intervalMs: 10_000, timeoutMs: 2_000 }),
        outlierDetection: fc.constantFrom(null, {}, { baseEjectionMs: 400_000 }),
        circuitBreaker: fc.constantFrom(null, {}, { maxConcurrent: 10 }),
        loadBalancing: fc.constantFrom({}, { algorithm: 'least-request' }, { algorithm: 'consistent-hash', hashOn: { clientIp: true } }, { zoneAware: false }),
      },
      { requiredKeys: [] },
    );
    const over = fc.record(
      {
        routes: fc.constantFrom([], ROUTES),
        stripBasePath: fc.boolean(),
        policies: fc.constantFrom({}, { rateLimits: [{ name: 'ip', limit: 5, windowMs: 1000 }] }, { idempotency: {} }, { cors: { allowOrigins: ['*'] } }, { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs', k: HS_SECRET }] } } }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(over, upstream, (o, u) => {
        const def = api('orders', o, u);
        const [resource] = compileSnapshot({ version: 1, epoch: 1, apis: stored(def) }).snapshot.resources;
        expect(decodeApiResource(resource!)).toEqual({ ok: true, api: def });
        expect(resource!.content.length).toBeLessThanOrEqual(canonicalJson(def).length);
      }),
      { numRuns: 200 },
    );
  });

  it('sends a ninth of the bytes for an API that keeps the defaults', () => {
    const def = api('orders');
    const [resource] = compileSnapshot({ version: 1, epoch: 1, apis: stored(def) }).snapshot.resources;
    expect(resource!.content).toBe('{"basePath":"/orders","name":"orders","upstream":{"targets":[{"url":"http://10.0.0.7:8080"}]}}');
    expect(resource!.content.length * 9).toBeLessThan(canonicalJson(def).length);
    expect(decodeApiResource(resource!)).toEqual({ ok: true, api: def });
  });

  it('hashes content only, so the same content under a new version keeps its hash', () => {
    const x = compileSnapshot({ version: 7, epoch: 1, apis: stored(api('orders')) });
    const y = compileSnapshot({ version: 8, epoch: 1, apis: stored(api('orders')) });
    expect(y.snapshot.hash).toBe(x.snapshot.hash);
    expect(y.snapshot.version).toBe(8);
  });

  it('changes the hash when anything a runtime uses changes', () => {
    const base = compileSnapshot({ version: 1, epoch: 1, apis: stored(api('orders')) }).snapshot.hash;
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
      api('orders', {}, { targets: [{ url: 'http://10.0.0.7:8080' }, { url: 'http://10.0.0.9:8080' }] }),
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
    const hashes = new Set(variants.map((v) => compileSnapshot({ version: 1, epoch: 1, apis: stored(v) }).snapshot.hash));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
  });

  it('produces a snapshot the runtime accepts, with the hash of its canonical content', () => {
    const { snapshot, problems } = compileSnapshot({ version: 3, epoch: 2, apis: stored(api('orders', { routes: ROUTES }), api('users')) });
    expect(problems).toEqual([]);
    expect(snapshot.hash).toBe(stateHash(snapshot.resources));
    expect(snapshot.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
  });

  it('compiles an empty state to a valid empty snapshot', () => {
    const { snapshot } = compileSnapshot({ version: 0, epoch: 1, apis: [] });
    expect(snapshot.resources).toEqual([]);
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
  });

  it('leaves out the later of two APIs claiming one route, and says why', () => {
    const { snapshot, problems } = compileSnapshot({
      version: 1,
      epoch: 1,
      apis: stored(api('zeta', { basePath: '/shop' }), api('alpha', { basePath: '/shop' }), api('other')),
    });
    expect(snapshot.resources.map((r) => r.name)).toEqual(['alpha', 'other']);
    expect(problems).toEqual([{ api: 'zeta', message: expect.stringContaining('already served by API "alpha"') }]);
  });

  it('lets two APIs share a base path on different hosts, and a wildcard share it with an exact host it covers', () => {
    const { snapshot, problems } = compileSnapshot({
      version: 1,
      epoch: 1,
      apis: stored(
        api('a', { basePath: '/shop', hosts: ['a.example.com'] }),
        api('b', { basePath: '/shop', hosts: ['b.example.com'] }),
        api('c', { basePath: '/shop', hosts: ['*.example.com'] }),
        api('d', { basePath: '/shop' }),
        api('e', { basePath: '/shop', hosts: ['*.example.com'] }),
      ),
    });
    expect(snapshot.resources.map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(problems).toEqual([{ api: 'e', message: 'route *.example.com/shop is already served by API "c"' }]);
  });

  it('fills defaults of a stored definition written before a field existed, and leaves out one that is no longer valid', () => {
    const old = { name: 'old', basePath: '/old', hosts: [], stripBasePath: true, upstream: { targets: [{ url: 'http://10.0.0.7:8080', weight: 1 }], timeouts: { connectMs: 5000, requestMs: 30000 } } };
    const broken = { ...old, name: 'broken', basePath: 'no-slash' };
    const { snapshot, problems } = compileSnapshot({ version: 1, epoch: 1, apis: stored(...([old, broken] as unknown as ApiDefinition[])) });
    expect(snapshot.resources.map((r) => r.name)).toEqual(['old']);
    expect(snapshot.resources[0]).toEqual(compileSnapshot({ version: 1, epoch: 1, apis: stored(api('old')) }).snapshot.resources[0]);
    expect(problems).toEqual([{ api: 'broken', message: 'stored definition is invalid: basePath must start with "/"' }]);
  });
});
