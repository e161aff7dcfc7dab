import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { definitionsEqual, diffDefinitions, REDACTED, validateApiDefinition } from './index.js';
import { definitionOf } from './testing/index.js';

const orders = definitionOf({ name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } });
const secret = randomBytes(32).toString('base64url');
const withSecret = (k: string) =>
  definitionOf({
    name: 'orders',
    basePath: '/orders',
    upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] },
    policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k }] } } },
  });

describe('diffDefinitions', () => {
  it('reports field-level replaces, adds and removes as JSON Pointers with the previous value in `from`', () => {
    const after = definitionOf({ name: 'orders', basePath: '/orders', hosts: ['api.example.com'], upstream: { targets: [{ url: 'http://10.0.0.8:8080' }, { url: 'http://10.0.0.9:8080' }] } });
    expect(diffDefinitions(orders, after)).toEqual([
      { op: 'add', path: '/hosts/0', value: 'api.example.com' },
      { op: 'replace', path: '/upstream/targets/0/url', from: 'http://10.0.0.7:8080', value: 'http://10.0.0.8:8080' },
      { op: 'add', path: '/upstream/targets/1', value: after.upstream.targets[1] },
    ]);
    expect(diffDefinitions(after, orders)).toContainEqual({ op: 'remove', path: '/upstream/targets/1', from: after.upstream.targets[1] });
  });

  it('answers a create or a delete as one change of the whole API', () => {
    expect(diffDefinitions(undefined, orders)).toEqual([{ op: 'add', path: '', value: orders }]);
    expect(diffDefinitions(orders, undefined)).toEqual([{ op: 'remove', path: '', from: orders }]);
  });

  it('ignores member order (a definition read back from jsonb is the same) and finds nothing between equal ones', () => {
    const reverse = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverse) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    const reordered = reverse(orders) as typeof orders;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(orders));
    expect(diffDefinitions(orders, reordered)).toEqual([]);
    expect(definitionsEqual(orders, structuredClone(orders))).toBe(true);
    expect(definitionsEqual(orders, { ...orders, basePath: '/other' })).toBe(false);
  });

  it('sees a changed secret but never shows it', () => {
    const other = randomBytes(32).toString('base64url');
    const changes = diffDefinitions(withSecret(secret), withSecret(other));
    expect(changes).toEqual([{ op: 'replace', path: '/policies/auth/jwt/keys/0/k', from: REDACTED, value: REDACTED }]);
    const created = JSON.stringify(diffDefinitions(undefined, withSecret(secret)));
    expect(created).not.toContain(secret);
    expect(created).toContain(REDACTED);
    expect(definitionsEqual(withSecret(secret), withSecret(other))).toBe(false);
  });
});

describe('validateApiDefinition with pointerPrefix', () => {
  it('writes every problem as a JSON Pointer under the prefix, duplicate references included', () => {
    const result = validateApiDefinition(
      { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'ftp://x' }] }, hosts: ['a.example.com', 'a.example.com'], bogus: 1 },
      { pointerPrefix: '/apis/3' },
    );
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['/apis/3/upstream/targets/0/url', '/apis/3/hosts/1', '/apis/3/bogus']));
    const duplicate = result.ok ? undefined : result.problems.find((p) => p.path === '/apis/3/hosts/1');
    expect(duplicate?.message).toContain('/apis/3/hosts/0');
  });

  it('keeps dotted paths without a prefix (PUT answers are unchanged)', () => {
    const result = validateApiDefinition({ name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'ftp://x' }] } });
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual(['upstream.targets[0].url']);
  });
});
