import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { createRedis, type SharedRedis } from './shared-redis.js';
import { startPrivateRedis, startPrivateRedisCluster, type PrivateRedis } from './testing/index.js';

const INCR = { lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])", numberOfKeys: 1 };

/** Runs `fn`, returning its error code and how long it took to settle. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; code: string | undefined; value?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - t0, code: undefined, value };
  } catch (err) {
    return { ms: performance.now() - t0, code: (err as { code?: string }).code ?? (err as Error).message };
  }
}

const opened: SharedRedis[] = [];
function connect(url: string, extra: Partial<Parameters<typeof createRedis>[0]> = {}): SharedRedis {
  const conn = createRedis({ url, commandTimeoutMs: 150, reconnectMaxMs: 200, probeIntervalMs: 100, scripts: { incrBy: INCR }, ...extra });
  opened.push(conn);
  return conn;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

describe('SharedRedis on a single node', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.destroy();
  });

  it('runs scripts passed in the constructor, and again after Redis restarts empty (script cache lost)', async () => {
    const conn = connect(redis.url);
    const events: string[] = [];
    conn.on('available', () => events.push('available'));
    conn.on('unavailable', () => events.push('unavailable'));
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    expect(await conn.evalScript('incrBy', ['a'], [2])).toBe(2);
    expect(await conn.evalScript('incrBy', ['a'], [3])).toBe(5);

    await redis.kill();
    await waitFor('unavailable', () => !conn.available);
    await redis.start();
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    expect(await conn.evalScript('incrBy', ['a'], [1])).toBe(1);
    expect(events).toEqual(['available', 'unavailable', 'available']);
    expect(conn.stats().outages).toBe(1);
  });

  it('answers every call within its deadline while Redis is dead, and recovers by itself', async () => {
    const conn = connect(redis.url);
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    await redis.kill();
    for (let i = 0; i < 10; i++) {
      const r = await timed(() => conn.evalScript('incrBy', ['b'], [1]));
      expect(r.code).toBe('GW_SHARED_STATE_UNAVAILABLE');
      // Bounded by the command timeout (150 ms), with room for a loaded machine.
      expect(r.ms).toBeLessThan(1_000);
    }
    expect(conn.available).toBe(false);
    await redis.start();
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    expect(await conn.evalScript('incrBy', ['b'], [1])).toBe(1);
  });

  it('a paused Redis: calls time out at the deadline, then are refused at once; a probe brings it back after SIGCONT', async () => {
    const conn = connect(redis.url, { failureThreshold: 3 });
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    redis.pause();
    try {
      const first = await timed(() => conn.run((c) => c.get('x')));
      expect(first.code).toBe('GW_SHARED_STATE_UNAVAILABLE');
      expect(first.ms).toBeGreaterThanOrEqual(140);
      expect(first.ms).toBeLessThan(1_000);
      await timed(() => conn.run((c) => c.get('x')));
      await timed(() => conn.run((c) => c.get('x')));
      expect(conn.available).toBe(false);
      const refused = await timed(() => conn.run((c) => c.get('x')));
      expect(refused.code).toBe('GW_SHARED_STATE_UNAVAILABLE');
      expect(conn.stats()).toMatchObject({ timeouts: 3, rejectedWhileUnavailable: 1 });
    } finally {
      redis.resume();
    }
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    expect(await conn.run((c) => c.set('x', '1'))).toBe('OK');
  });

  it('passes a script error through without marking the connection unavailable', async () => {
    const conn = connect(redis.url, { failureThreshold: 1, scripts: { bad: { lua: "return redis.call('NOPE')", numberOfKeys: 0 } } });
    expect(await conn.waitUntilAvailable(10_000)).toBe(true);
    await expect(conn.evalScript('bad', [], [])).rejects.toThrow(/Unknown Redis command|unknown command/i);
    expect(conn.available).toBe(true);
    await expect(conn.evalScript('missing', [], [])).rejects.toThrow(/no script "missing"/);
  });
});

describe('SharedRedis without a server', () => {
  it('never throws or crashes when nothing listens: unavailable, and calls are refused at once', async () => {
    const nobody = await startPrivateRedis();
    const url = nobody.url;
    await nobody.destroy();
    const conn = connect(url);
    expect(conn.available).toBe(false);
    const r = await timed(() => conn.run((c) => c.ping()));
    expect(r.code).toBe('GW_SHARED_STATE_UNAVAILABLE');
    expect(await conn.waitUntilAvailable(300)).toBe(false);
  });
});

describe('SharedRedis through Sentinel and Cluster', () => {
  it('finds the master through a Sentinel (redis-sentinel://host:port/master)', async () => {
    const master = await startPrivateRedis();
    const sentinel = await startPrivateRedis({ sentinel: { masterPort: master.port, masterName: 'gwmaster' } });
    try {
      const conn = connect(`redis-sentinel://127.0.0.1:${sentinel.port}/gwmaster`);
      expect(await conn.waitUntilAvailable(10_000)).toBe(true);
      expect(conn.description).toBe(`sentinel 127.0.0.1:${sentinel.port} master gwmaster/0`);
      expect(await conn.evalScript('incrBy', ['s'], [7])).toBe(7);
      expect(await master.command('GET', 's')).toBe('7');
    } finally {
      await Promise.all(opened.splice(0).map((c) => c.close()));
      await sentinel.destroy();
      await master.destroy();
    }
  });

  it('runs scripts on the right node of a Cluster (redis-cluster://seed,seed)', async () => {
    const cluster = await startPrivateRedisCluster(3);
    try {
      const conn = connect(cluster.url, { commandTimeoutMs: 1000 });
      expect(await conn.waitUntilAvailable(15_000)).toBe(true);
      // Keys that hash to different slots, so different masters.
      for (const key of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) expect(await conn.evalScript('incrBy', [key], [1])).toBe(1);
      const perNode = await Promise.all(cluster.nodes.map((n) => n.command('DBSIZE')));
      expect(perNode.reduce((a: number, b) => a + Number(b), 0)).toBe(5);
      expect(perNode.filter((n) => Number(n) > 0).length).toBeGreaterThan(1);
    } finally {
      await Promise.all(opened.splice(0).map((c) => c.close()));
      await cluster.destroy();
    }
  });
});
