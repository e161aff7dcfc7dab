import type { ApiDefinition } from '@gw/api-model';
import { canonicalJson, hashSnapshotContent, verifySnapshot } from '@gw/snapshot';
import { describe, expect, it } from 'vitest';
import { compileSnapshot } from './compile-snapshot.js';

function api(name: string, over: Partial<ApiDefinition> = {}): ApiDefinition {
  return {
    name,
    basePath: `/${name}`,
    hosts: [],
    stripBasePath: true,
    upstream: { targets: [{ url: `http://10.0.0.7:8080`, weight: 1 }], timeouts: { connectMs: 5000, requestMs: 30000 } },
    ...over,
  };
}

/** The same value with every object's keys in reverse insertion order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

describe('compileSnapshot', () => {
  it('is deterministic: input order and key order do not change bytes or hash', () => {
    const a = [api('orders', { hosts: ['b.example.com', 'a.example.com'] }), api('billing'), api('users')];
    const b = [a[2]!, a[0]!, a[1]!].map((d) => reverseKeys(d) as ApiDefinition);
    const x = compileSnapshot({ version: 7, epoch: 1, apis: a });
    const y = compileSnapshot({ version: 7, epoch: 1, apis: b });
    expect(canonicalJson(x.snapshot)).toBe(canonicalJson(y.snapshot));
    expect(x.snapshot.hash).toBe(y.snapshot.hash);
    expect(x.snapshot.content.apis.map((s) => s.name)).toEqual(['billing', 'orders', 'users']);
    expect(x.snapshot.content.apis[1]!.hosts).toEqual(['a.example.com', 'b.example.com']);
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
      api('orders', { upstream: { targets: [{ url: 'http://10.0.0.8:8080', weight: 1 }], timeouts: { connectMs: 5000, requestMs: 30000 } } }),
      api('orders', { upstream: { targets: [{ url: 'http://10.0.0.7:8080', weight: 2 }], timeouts: { connectMs: 5000, requestMs: 30000 } } }),
      api('orders', { upstream: { targets: [{ url: 'http://10.0.0.7:8080', weight: 1 }], timeouts: { connectMs: 1, requestMs: 30000 } } }),
    ];
    const hashes = new Set(variants.map((v) => compileSnapshot({ version: 1, epoch: 1, apis: [v] }).snapshot.hash));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
  });

  it('produces a snapshot the runtime accepts, with the hash of its canonical content', () => {
    const { snapshot, problems } = compileSnapshot({ version: 3, epoch: 2, apis: [api('orders'), api('users')] });
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

  it('lets two APIs share a base path on different hosts', () => {
    const { snapshot, problems } = compileSnapshot({
      version: 1,
      epoch: 1,
      apis: [api('a', { basePath: '/shop', hosts: ['a.example.com'] }), api('b', { basePath: '/shop', hosts: ['b.example.com'] })],
    });
    expect(problems).toEqual([]);
    expect(snapshot.content.apis).toHaveLength(2);
  });
});
