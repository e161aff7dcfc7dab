import { describe, expect, it } from 'vitest';
import { idempotencyOf, storeContract, post } from './testing/idempotency-contract.js';
import { IdempotencyGuard } from './idempotency-guard.js';
import type { IdempotencyStore } from './idempotency-store.js';
import { MemoryIdempotencyStore } from './memory-idempotency-store.js';

describe('IdempotencyGuard on MemoryIdempotencyStore', () => {
  storeContract(async () => new MemoryIdempotencyStore());

  it('evicts the oldest completed keys at its bound, never an in-flight claim', async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 2 });
    expect(await store.claim('a', 'fa', 'ta', 60_000)).toEqual({ kind: 'claimed' });
    expect(await store.claim('b', 'fb', 'tb', 60_000)).toEqual({ kind: 'claimed' });
    await store.complete('b', 'tb', 60_000, { status: 200, headers: [], body: Buffer.from('') });
    expect(await store.claim('c', 'fc', 'tc', 60_000)).toEqual({ kind: 'claimed' });
    expect(store.size).toBe(2);
    expect(await store.claim('a', 'fa', 'other', 60_000)).toEqual({ kind: 'in-flight', fingerprint: 'fa' });
  });
});

describe('IdempotencyGuard when the store fails', () => {
  const broken: IdempotencyStore = {
    claim: () => Promise.reject(new Error('down')),
    complete: () => Promise.reject(new Error('down')),
    release: () => Promise.reject(new Error('down')),
  };

  it('refuses a covered request with 503 GW_IDEMPOTENCY_UNAVAILABLE (never forwards it), and passes uncovered ones', async () => {
    const outcomes: string[] = [];
    const g = new IdempotencyGuard(idempotencyOf(), { store: broken, metrics: { outcome: (_api, o) => outcomes.push(o) } });
    expect(await g.begin(post('x'))).toMatchObject({ kind: 'reject', error: { status: 503, code: 'GW_IDEMPOTENCY_UNAVAILABLE', headers: { 'retry-after': '1' } } });
    expect(await g.begin(post('x', { method: 'GET' }))).toEqual({ kind: 'pass' });
    expect(outcomes).toEqual(['unavailable', 'pass']);
  });

  it('reports a failed complete as false and counts it, never throws', async () => {
    let claims = 0;
    const failures: string[] = [];
    const store: IdempotencyStore = { ...broken, claim: async () => (claims++, { kind: 'claimed' }) };
    const g = new IdempotencyGuard(idempotencyOf(), { store, metrics: { storeFailure: (_api, op) => failures.push(op) } });
    const r = await g.begin(post('x'));
    if (r.kind !== 'proceed') throw new Error('expected proceed');
    expect(await r.ticket.complete({ status: 200, headers: {}, body: Buffer.from('') })).toBe(false);
    const r2 = await g.begin(post('y'));
    if (r2.kind !== 'proceed') throw new Error('expected proceed');
    await r2.ticket.abort();
    expect(failures).toEqual(['complete', 'release']);
    expect(claims).toBe(2);
  });
});
