import { createRedis, type SharedRedis } from '@gw/shared-state';
import { startPrivateRedis, type PrivateRedis } from '@gw/shared-state/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyOf, post, storeContract } from './testing/idempotency-contract.js';
import { IdempotencyGuard } from './idempotency-guard.js';
import { IDEMPOTENCY_SCRIPTS } from './idempotency-scripts.js';
import { RedisIdempotencyStore } from './idempotency-store.js';

let redis: PrivateRedis;
let conn: SharedRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
  conn = createRedis({ url: redis.url, scripts: { ...IDEMPOTENCY_SCRIPTS }, commandTimeoutMs: 1000, reconnectMaxMs: 200, probeIntervalMs: 100 });
  expect(await conn.waitUntilAvailable(10_000)).toBe(true);
});
afterAll(async () => {
  await conn?.close();
  await redis?.destroy();
});

describe('IdempotencyGuard on RedisIdempotencyStore', () => {
  storeContract(async () => {
    await redis.command('FLUSHALL');
    return new RedisIdempotencyStore(conn);
  });

  it('of 20 concurrent claims of one key, from two connections, exactly one wins', async () => {
    await redis.command('FLUSHALL');
    const other = createRedis({ url: redis.url, scripts: { ...IDEMPOTENCY_SCRIPTS } });
    try {
      expect(await other.waitUntilAvailable(10_000)).toBe(true);
      const guards = [new IdempotencyGuard(idempotencyOf(), { store: new RedisIdempotencyStore(conn) }), new IdempotencyGuard(idempotencyOf(), { store: new RedisIdempotencyStore(other) })];
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => guards[i % 2]!.begin(post('same', {}, 'race'))));
      expect(results.filter((r) => r.kind === 'proceed')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'reject' && r.error.status === 409)).toHaveLength(19);
    } finally {
      await other.close();
    }
  });

  it('stores the response with the TTL and keeps an in-flight claim only for lockTtlMs', async () => {
    await redis.command('FLUSHALL');
    // A 5 s claim is valid above an upstream that gives up within 4 s.
    const g = new IdempotencyGuard(idempotencyOf({ ttlMs: 60_000, lockTtlMs: 5_000 }, 4_000), { store: new RedisIdempotencyStore(conn) });
    const r = await g.begin(post('ttl', {}, 'ttl-key'));
    if (r.kind !== 'proceed') throw new Error('expected proceed');
    const keys = (await redis.command('KEYS', 'gw:idem:orders:*')) as string[];
    expect(keys).toHaveLength(1);
    const lockTtl = Number(await redis.command('PTTL', keys[0]!));
    expect(lockTtl).toBeGreaterThan(0);
    expect(lockTtl).toBeLessThanOrEqual(5_000);
    await r.ticket.complete({ status: 200, headers: {}, body: Buffer.from('x') });
    const ttl = Number(await redis.command('PTTL', keys[0]!));
    expect(ttl).toBeGreaterThan(5_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('with Redis gone, refuses covered requests with 503 at once and never lets one through; works again after a restart', async () => {
    const g = new IdempotencyGuard(idempotencyOf(), { store: new RedisIdempotencyStore(conn) });
    await redis.kill();
    try {
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await g.begin(post('down', {}, `down-${i}`));
        expect(r).toMatchObject({ kind: 'reject', error: { status: 503, code: 'GW_IDEMPOTENCY_UNAVAILABLE' } });
        expect(performance.now() - t0).toBeLessThan(1000 + 500);
      }
    } finally {
      await redis.start();
    }
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    expect((await g.begin(post('up', {}, 'up'))).kind).toBe('proceed');
  });
});
