// The compiled bytes of a fixed desired state, pinned: a content hash that changes makes every
// runtime re-apply every API once, so it may change only on purpose (a format change, noted in
// the release), never as a side effect of making the compiler faster. The state mixes what
// compaction treats differently: plain APIs whose derived defaults derive the same, `plainApi`
// (every resilience feature off, a `totalMs` apart from what `requestMs` derives: put back),
// routes, hosts, a JWT key and a rate limit.
import { validateApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import type { DesiredApi } from './compile-api.js';
import { compileSnapshot } from './compile-snapshot.js';

/** A fixed HMAC key: the hash must not depend on random bytes. */
const HS_KEY = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I';

/** Computed by the compiler before the compaction speed-up (commit f61bec8's tree), 200 APIs of `definition`. */
const PINNED_STATE_HASH = 'e14be040a6ec037edab71b33fa9c6064b08ab9098ce80618cbb221422fe86d68';

function definition(i: number): unknown {
  const name = `api-${String(i).padStart(5, '0')}`;
  if (i % 4 === 3) return { name, basePath: `/api-${i}`, upstream: { targets: [{ url: 'http://127.0.0.1:8080' }], timeouts: { requestMs: 90_000 + i } } };
  const routes = i % 3 === 0 ? [{ name: 'get-item', methods: ['GET'], path: '/items/:id' }, { name: 'create', methods: ['POST'], path: '/items' }] : [];
  const hosts = i % 3 === 1 ? [`h${i}.example.com`] : [];
  const policies = i % 10 === 0 ? { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: HS_KEY }] } }, rateLimits: [{ name: 'ip', limit: 100, windowMs: 1000 }] } : {};
  // Routes as an operator writes them; validation below fills their defaults in.
  const base = plainApi(name, `/svc${i}/v1`, ['http://10.0.0.7:8080'], { routes, hosts } as unknown as Parameters<typeof plainApi>[3]);
  return { ...base, policies: { ...base.policies, ...policies } };
}

function storedState(): DesiredApi[] {
  return Array.from({ length: 200 }, (_, i) => {
    const checked = validateApiDefinition(definition(i));
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    return { definition: checked.value, revision: 1 };
  });
}

describe('compileSnapshot output', () => {
  it('gives the pinned state hash for a fixed mix of 200 APIs', () => {
    const { snapshot, problems } = compileSnapshot({ version: 1, epoch: 1, apis: storedState() });
    expect(problems).toEqual([]);
    expect(snapshot.resources).toHaveLength(200);
    expect(snapshot.hash).toBe(PINNED_STATE_HASH);
  });
});
