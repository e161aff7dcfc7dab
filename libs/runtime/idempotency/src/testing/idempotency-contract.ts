// Shared expectations for every IdempotencyStore (run by the memory and the Redis specs).
// Test code that imports vitest: src/testing/ is left out of the build (tsconfig.json), so
// dist never imports vitest; the specs import this file by relative path.
import type { ApiDefinitionInput, IdempotencyPolicy } from '@gw/api-schema';
import { definitionOf } from '@gw/api-schema/testing';
import { beforeEach, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { bodyDigest } from '../fingerprint.js';
import { IdempotencyGuard, REPLAY_HEADER, type IdempotencyRequest } from '../idempotency-guard.js';
import type { IdempotencyStore } from '../idempotency-store.js';

/** An `idempotency` block as operators write it. */
export type IdempotencyInput = NonNullable<NonNullable<ApiDefinitionInput['policies']>['idempotency']>;

/**
 * The `orders` API's idempotency policy, normalized by the real schema, with an upstream
 * that gives up after `upstreamTotalMs` (default the schema's): a claim must outlive every
 * try, so a short `lockTtlMs` needs a short upstream timeout.
 */
export function idempotencyOf(input: IdempotencyInput = {}, upstreamTotalMs?: number): IdempotencyPolicy {
  const timeouts = upstreamTotalMs === undefined ? {} : { timeouts: { connectMs: upstreamTotalMs, requestMs: upstreamTotalMs, totalMs: upstreamTotalMs } };
  return definitionOf({ name: 'orders', basePath: '/', upstream: { targets: [{ url: 'http://orders.internal' }], ...timeouts }, policies: { idempotency: input } }).policies.idempotency!;
}

/** A POST to the `orders` API; `key: null` sends no Idempotency-Key. */
export function post(body: string, extra: Partial<IdempotencyRequest> = {}, key: string | null = 'key-1'): IdempotencyRequest {
  return {
    api: 'orders',
    method: 'POST',
    path: '/orders',
    headers: key === null ? {} : { 'idempotency-key': key },
    clientIp: '192.0.2.1',
    consumer: 'alice',
    bodySha256: bodyDigest(Buffer.from(body)),
    ...extra,
  };
}

/** `makeStore` returns an empty store (called once per test); `policy` is the `idempotency` block the tests vary. */
export function storeContract(makeStore: () => Promise<IdempotencyStore>, policy: IdempotencyInput = {}): void {
  let store: IdempotencyStore;
  beforeEach(async () => {
    store = await makeStore();
  });
  const guard = (p: IdempotencyInput = policy, upstreamTotalMs?: number) => new IdempotencyGuard(idempotencyOf(p, upstreamTotalMs), { store });

  it('lets the first request proceed and replays its response (marked) to a repeat, without forwarding it', async () => {
    const g = guard();
    const first = await g.begin(post('{"qty":1}'));
    if (first.kind !== 'proceed') throw new Error(`expected proceed, got ${first.kind}`);
    expect(await first.ticket.complete({ status: 201, headers: { 'content-type': 'application/json', location: '/orders/7' }, body: Buffer.from('{"id":7}') })).toBe(true);
    const repeat = await g.begin(post('{"qty":1}'));
    expect(repeat).toEqual({
      kind: 'replay',
      response: { status: 201, headers: [['content-type', 'application/json'], ['location', '/orders/7'], [REPLAY_HEADER, 'true']], body: Buffer.from('{"id":7}') },
    });
    // Binary bodies survive storage.
    const bin = await g.begin(post('bin', {}, 'key-bin'));
    if (bin.kind !== 'proceed') throw new Error('expected proceed');
    const bytes = Buffer.from([0, 255, 128, 10, 13]);
    await bin.ticket.complete({ status: 200, headers: {}, body: bytes });
    const binRepeat = await g.begin(post('bin', {}, 'key-bin'));
    expect(binRepeat.kind === 'replay' && binRepeat.response.body).toEqual(bytes);
  });

  it('answers 409 to a repeat while the first is in flight, and 422 to the key reused for another request', async () => {
    const g = guard();
    const first = await g.begin(post('{"qty":1}'));
    expect(first.kind).toBe('proceed');
    expect(await g.begin(post('{"qty":1}'))).toMatchObject({ kind: 'reject', error: { status: 409, code: 'GW_IDEMPOTENCY_IN_FLIGHT', headers: { 'retry-after': '1' } } });
    expect(await g.begin(post('{"qty":2}'))).toMatchObject({ kind: 'reject', error: { status: 422, code: 'GW_IDEMPOTENCY_KEY_REUSED' } });
    expect(await g.begin(post('{"qty":1}', { path: '/orders?x=1' }))).toMatchObject({ kind: 'reject', error: { status: 422 } });
    if (first.kind === 'proceed') await first.ticket.complete({ status: 200, headers: {}, body: Buffer.from('ok') });
    expect(await g.begin(post('{"qty":2}'))).toMatchObject({ kind: 'reject', error: { status: 422, code: 'GW_IDEMPOTENCY_KEY_REUSED' } });
  });

  it('scopes keys per API and per consumer (or client IP when anonymous)', async () => {
    const g = guard();
    expect((await g.begin(post('b'))).kind).toBe('proceed');
    expect((await g.begin(post('b', { consumer: 'bob' }))).kind).toBe('proceed');
    expect((await g.begin(post('b', { api: 'billing' }))).kind).toBe('proceed');
    expect((await g.begin(post('b', { consumer: undefined, clientIp: '192.0.2.1' }))).kind).toBe('proceed');
    expect((await g.begin(post('b', { consumer: undefined, clientIp: '192.0.2.2' }))).kind).toBe('proceed');
    expect((await g.begin(post('b', { consumer: undefined, clientIp: '192.0.2.2' }))).kind).toBe('reject');
  });

  it('abort releases the claim so a retry runs; complete and abort take effect once', async () => {
    const g = guard();
    const first = await g.begin(post('x'));
    if (first.kind !== 'proceed') throw new Error('expected proceed');
    await first.ticket.abort();
    expect(first.ticket.state).toBe('aborted');
    expect(await first.ticket.complete({ status: 200, headers: {}, body: Buffer.from('late') })).toBe(false);
    const retry = await g.begin(post('x'));
    if (retry.kind !== 'proceed') throw new Error(`expected proceed, got ${retry.kind}`);
    // A finished ticket can neither release nor overwrite the new claim.
    await first.ticket.abort();
    expect(await g.begin(post('x'))).toMatchObject({ kind: 'reject', error: { status: 409 } });
    expect(await retry.ticket.complete({ status: 202, headers: {}, body: Buffer.from('') })).toBe(true);
    expect(await retry.ticket.complete({ status: 500, headers: {}, body: Buffer.from('again') })).toBe(false);
    expect(await g.begin(post('x'))).toMatchObject({ kind: 'replay', response: { status: 202 } });
  });

  it('keeps only a marker for a response over the cap: repeats get 409 GW_IDEMPOTENCY_RESPONSE_NOT_STORED, not a second run', async () => {
    const g = guard({ ...policy, maxResponseBytes: 4 });
    const first = await g.begin(post('big'));
    if (first.kind !== 'proceed') throw new Error('expected proceed');
    await first.ticket.complete({ status: 201, headers: {}, body: Buffer.from('12345') });
    const repeat = await g.begin(post('big'));
    expect(repeat).toMatchObject({ kind: 'reject', error: { status: 409, code: 'GW_IDEMPOTENCY_RESPONSE_NOT_STORED' } });
    expect(repeat.kind === 'reject' && repeat.error.message).toContain('status 201');
    expect(await g.begin(post('other'))).toMatchObject({ kind: 'reject', error: { status: 422 } });
  });

  it('passes methods it does not cover and requests without a key, unless a key is required', async () => {
    const g = guard();
    expect(await g.begin(post('x', { method: 'PUT' }))).toEqual({ kind: 'pass' });
    expect(await g.begin(post('x', {}, null))).toEqual({ kind: 'pass' });
    expect(g.covers('POST', {})).toBe(false);
    expect(g.covers('post', { 'idempotency-key': 'k' })).toBe(true);
    expect(g.covers('GET', { 'idempotency-key': 'k' })).toBe(false);
    const strict = guard({ ...policy, required: true });
    expect(strict.covers('PATCH', {})).toBe(true);
    expect(await strict.begin(post('x', {}, null))).toMatchObject({ kind: 'reject', error: { status: 400, code: 'GW_IDEMPOTENCY_KEY_MISSING' } });
    expect(await strict.begin(post('x', {}, ' '))).toMatchObject({ kind: 'reject', error: { status: 400, code: 'GW_IDEMPOTENCY_KEY_INVALID' } });
  });

  it('lets a claim expire after lockTtlMs when its request never completes', async () => {
    // 150 ms is a valid claim only above an upstream that gives up within 100 ms.
    const g = guard({ ...policy, lockTtlMs: 150 }, 100);
    expect((await g.begin(post('x'))).kind).toBe('proceed');
    expect((await g.begin(post('x'))).kind).toBe('reject');
    await waitFor('the claim to expire', async () => (await g.begin(post('x'))).kind === 'proceed', { timeoutMs: 5000, intervalMs: 50 });
  });
}
