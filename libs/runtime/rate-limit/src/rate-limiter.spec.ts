import type { ApiDefinitionInput } from '@gw/api-schema';
import { policiesOf } from '@gw/api-schema/testing';
import { createRedis, type SharedRedis } from '@gw/shared-state';
import { startPrivateRedis, type PrivateRedis } from '@gw/shared-state/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { RATE_LIMIT_SCRIPTS } from './gcra-script.js';
import { RateLimiter, type RateLimitDecision } from './rate-limiter.js';

type RateLimitInput = NonNullable<NonNullable<ApiDefinitionInput['policies']>['rateLimits']>[number];
/** One rate limit as operators write it, normalized by the real schema. */
const limitOf = (input: RateLimitInput) => policiesOf({ rateLimits: [input] }).rateLimits[0]!;

const DECISION_TIMEOUT_MS = 100;
// What "bounded by the timeout" may cost on a loaded 2-core machine (timer and event-loop lag).
const BOUND_MS = DECISION_TIMEOUT_MS + 500;

let redis: PrivateRedis;
const conns: SharedRedis[] = [];

/** One runtime's Redis connection, as the runtime would create it. */
async function runtimeConnection(): Promise<SharedRedis> {
  const conn = createRedis({ url: redis.url, scripts: { ...RATE_LIMIT_SCRIPTS }, reconnectMaxMs: 200, probeIntervalMs: 100 });
  conns.push(conn);
  expect(await conn.waitUntilAvailable(10_000)).toBe(true);
  return conn;
}

async function timedDecide(limiter: RateLimiter, key: string): Promise<RateLimitDecision & { ms: number }> {
  const t0 = performance.now();
  const d = await limiter.decide(key);
  return { ...d, ms: performance.now() - t0 };
}

beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterEach(async () => {
  redis.resume();
  await Promise.all(conns.splice(0).map((c) => c.close()));
  if (!redis.pid) await redis.start();
  await redis.command('FLUSHALL');
});
afterAll(async () => {
  await redis?.destroy();
});

describe('RateLimiter against a real Redis', () => {
  it('two runtimes share one global limit: together they accept at most the limit (+ the refill during the run)', async () => {
    const policy = limitOf({ name: 'shared', limit: 30, windowMs: 60_000 });
    const runtimeA = new RateLimiter(policy, { redis: await runtimeConnection(), decisionTimeoutMs: 2000 });
    const runtimeB = new RateLimiter(policy, { redis: await runtimeConnection(), decisionTimeoutMs: 2000 });
    const t0 = Date.now();
    const decisions: RateLimitDecision[] = [];
    // 4 rounds of 25 concurrent decisions per runtime, interleaved: 200 requests for a limit of 30.
    for (let round = 0; round < 4; round++) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? runtimeA : runtimeB).decide('ip:198.51.100.7')));
      decisions.push(...batch);
    }
    const elapsedMs = Date.now() - t0;
    // GCRA in one atomic script is exact; the only slack is what the window refills meanwhile.
    const slack = Math.ceil((elapsedMs * policy.limit) / policy.windowMs);
    const accepted = decisions.filter((d) => d.allowed).length;
    expect(decisions.every((d) => d.source === 'redis')).toBe(true);
    expect(accepted).toBeGreaterThanOrEqual(30);
    expect(accepted).toBeLessThanOrEqual(30 + slack);
    const denied = decisions.find((d) => !d.allowed)!;
    expect(denied).toMatchObject({ remaining: 0, limit: 30 });
    expect(denied.retryAfterMs).toBeGreaterThan(0);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(2_000); // T = 60 s / 30 = 2 s
  });

  it('runs the same algorithm in Redis and locally: burst, then retry after one emission interval', async () => {
    const policy: RateLimitInput = { name: 'same', limit: 10, windowMs: 10_000, burst: 2 };
    const global = new RateLimiter(limitOf(policy), { redis: await runtimeConnection(), decisionTimeoutMs: 2000 });
    const local = new RateLimiter(limitOf({ ...policy, scope: 'local' }), { redis: conns[0] });
    for (const limiter of [global, local]) {
      const [a, b, c] = [await limiter.decide('k'), await limiter.decide('k'), await limiter.decide('k')];
      expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
      expect([a.remaining, b.remaining, c.remaining]).toEqual([1, 0, 0]);
      expect(c.retryAfterMs).toBeGreaterThan(500);
      expect(c.retryAfterMs).toBeLessThanOrEqual(1000);
      expect(c.resetMs).toBeGreaterThan(1000);
      expect(c.resetMs).toBeLessThanOrEqual(2000);
    }
    expect(global.stats()).toMatchObject({ redis: 3, local: 0 });
    expect(local.stats()).toMatchObject({ redis: 0, local: 3 });
    // Only the global policy wrote to Redis.
    expect(await redis.command('DBSIZE')).toBe(1);
  });

  it('Redis killed: fail-open keeps limiting locally, fail-closed answers unavailable, each within the timeout; Redis is used again after a restart', async () => {
    const failures: string[] = [];
    const metrics = { redisFailure: (policy: string, mode: string) => failures.push(`${policy}:${mode}`) };
    const conn = await runtimeConnection();
    const open = new RateLimiter(limitOf({ name: 'open', limit: 5, windowMs: 60_000, failureMode: 'open' }), { redis: conn, decisionTimeoutMs: DECISION_TIMEOUT_MS, metrics });
    const closed = new RateLimiter(limitOf({ name: 'closed', limit: 5, windowMs: 60_000, failureMode: 'closed' }), { redis: conn, decisionTimeoutMs: DECISION_TIMEOUT_MS, metrics });
    expect((await open.decide('k')).source).toBe('redis');

    await redis.kill();
    const openDecisions = [];
    for (let i = 0; i < 10; i++) openDecisions.push(await timedDecide(open, 'k'));
    const closedDecisions = [];
    for (let i = 0; i < 5; i++) closedDecisions.push(await timedDecide(closed, 'k'));

    expect(openDecisions.every((d) => d.source === 'fallback' && d.ms < BOUND_MS)).toBe(true);
    // The local count starts afresh: the burst of 5, then limits.
    expect(openDecisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false, false, false]);
    expect(closedDecisions.every((d) => d.unavailable && !d.allowed && d.source === 'none' && d.ms < BOUND_MS)).toBe(true);
    expect(open.stats()).toMatchObject({ redis: 1, fallback: 10 });
    expect(closed.stats()).toMatchObject({ unavailable: 5 });
    expect(failures.filter((f) => f === 'open:open')).toHaveLength(10);
    expect(failures.filter((f) => f === 'closed:closed')).toHaveLength(5);

    await redis.start();
    await waitFor('decisions from Redis again', async () => (await closed.decide('other')).source === 'redis');
    expect((await open.decide('k')).source).toBe('redis');
  });

  it('Redis paused (SIGSTOP): no decision waits past the timeout; both failure modes hold; recovery after SIGCONT', async () => {
    const conn = await runtimeConnection();
    const open = new RateLimiter(limitOf({ name: 'open', limit: 3, windowMs: 60_000, failureMode: 'open' }), { redis: conn, decisionTimeoutMs: DECISION_TIMEOUT_MS });
    const closed = new RateLimiter(limitOf({ name: 'closed', limit: 3, windowMs: 60_000, failureMode: 'closed' }), { redis: conn, decisionTimeoutMs: DECISION_TIMEOUT_MS });
    expect((await closed.decide('k')).source).toBe('redis');

    redis.pause();
    const decisions: (RateLimitDecision & { ms: number; policy: string })[] = [];
    for (let i = 0; i < 8; i++) {
      decisions.push({ ...(await timedDecide(open, 'k')), policy: 'open' });
      decisions.push({ ...(await timedDecide(closed, 'k')), policy: 'closed' });
    }
    expect(Math.max(...decisions.map((d) => d.ms))).toBeLessThan(BOUND_MS);
    const opened = decisions.filter((d) => d.policy === 'open');
    expect(opened.every((d) => d.source === 'fallback')).toBe(true);
    expect(opened.filter((d) => d.allowed)).toHaveLength(3);
    expect(decisions.filter((d) => d.policy === 'closed').every((d) => d.unavailable)).toBe(true);
    // After a few timeouts the connection is known bad: later decisions do not wait at all.
    expect(conn.available).toBe(false);
    // Only the first 3 (the failure threshold) of 16 decisions waited for Redis.
    expect(conn.stats().timeouts).toBe(3);

    redis.resume();
    await waitFor('decisions from Redis again', async () => (await closed.decide('other')).source === 'redis');
    const back = await open.decide('fresh');
    expect(back).toMatchObject({ source: 'redis', allowed: true });
  });

  it('a runtime without Redis counts every policy locally', async () => {
    const limiter = new RateLimiter(limitOf({ name: 'noredis', limit: 1, windowMs: 60_000, failureMode: 'closed' }));
    expect(await limiter.decide('k')).toMatchObject({ allowed: true, source: 'local' });
    expect(await limiter.decide('k')).toMatchObject({ allowed: false, source: 'local', unavailable: false });
  });
});
