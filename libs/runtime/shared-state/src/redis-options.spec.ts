import { describe, expect, it } from 'vitest';
import { clientConfig, reconnectDelay, type ConnectionTuning } from './redis-options.js';
import { parseRedisUrl } from './redis-url.js';

const tuning: ConnectionTuning = {
  commandTimeoutMs: 100, connectTimeoutMs: 1000, socketTimeoutMs: 3000, reconnectBaseMs: 50, reconnectMaxMs: 2000, connectionName: 'rt-1',
  scripts: { s: { lua: 'return 1', numberOfKeys: 0 } },
};

describe('reconnectDelay', () => {
  it('doubles from the base and stays within the cap plus 20% jitter', () => {
    expect([1, 2, 3, 4].map((n) => reconnectDelay(n, 50, 2000, () => 0))).toEqual([50, 100, 200, 400]);
    expect(reconnectDelay(1000, 50, 2000, () => 0)).toBe(2000);
    expect(reconnectDelay(1000, 50, 2000, () => 0.999)).toBeLessThanOrEqual(2400);
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
