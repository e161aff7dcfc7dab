import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientConfig, reconnectStrategy, type ConnectionTuning } from './redis-options.js';
import { parseRedisUrl } from './redis-url.js';

const tuning: ConnectionTuning = {
  commandTimeoutMs: 100, connectTimeoutMs: 1000, socketTimeoutMs: 3000, reconnectBaseMs: 50, reconnectMaxMs: 2000, connectionName: 'rt-1',
  scripts: { s: { lua: 'return 1', numberOfKeys: 0 } },
};

describe('reconnectStrategy', () => {
  afterEach(() => vi.restoreAllMocks());

  it('counts ioredis tries from 1: a full-jitter window from the base, doubling to the cap, never below half the base', () => {
    const strategy = reconnectStrategy({ reconnectBaseMs: 50, reconnectMaxMs: 2000 });
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect([1, 2, 3, 4, 10, 1000].map(strategy)).toEqual([49, 99, 199, 399, 1999, 1999]);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([1, 2, 1000].map(strategy)).toEqual([25, 25, 25]);
  });
});

describe('clientConfig', () => {
  it('never queues commands while disconnected, bounds each one, and never resends after a reconnect', () => {
    const c = clientConfig(parseRedisUrl('redis://h:1/2'), tuning);
    if (c.kind !== 'redis') throw new Error('expected a single-node config');
    expect(c.options).toMatchObject({
      host: 'h', port: 1, db: 2, commandTimeout: 100, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
      scripts: { s: { lua: 'return 1', numberOfKeys: 0 } },
    });
    expect(typeof c.options.retryStrategy).toBe('function');
  });

  it('maps Sentinel and Cluster targets to their ioredis forms with the same guarantees', () => {
    const s = clientConfig(parseRedisUrl('redis-sentinel://:pw@a:1,b:2/m?sentinelPassword=sp'), tuning);
    expect(s.kind === 'redis' && s.options).toMatchObject({ sentinels: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }], name: 'm', password: 'pw', sentinelPassword: 'sp', enableOfflineQueue: false });
    const c = clientConfig(parseRedisUrl('redis-cluster://u:p@a:1,b:2'), tuning);
    if (c.kind !== 'cluster') throw new Error('expected cluster');
    expect(c.nodes).toEqual([{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
    expect(c.options).toMatchObject({ enableOfflineQueue: false, scripts: tuning.scripts, redisOptions: { commandTimeout: 100, maxRetriesPerRequest: 0, username: 'u', password: 'p' } });
  });
});
