import { backoffDelay } from '@gw/backoff';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisTarget } from './redis-url.js';

/** A Lua script registered on the connection; called by name through `SharedRedis.evalScript`. */
export interface RedisScript {
  lua: string;
  /** How many of the arguments are keys (they come first). */
  numberOfKeys: number;
}

export interface ConnectionTuning {
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** A socket with commands outstanding and no byte received for this long is destroyed and reconnected. */
  socketTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  connectionName: string | undefined;
  scripts: Record<string, RedisScript>;
}

/**
 * The delay before ioredis' reconnect try `times` (1-based): full jitter under a ceiling of
 * `reconnectBaseMs` doubling to `reconnectMaxMs`, so runtimes that lost Redis together do
 * not come back together; never below half the base, so a refused connection is not
 * retried in a tight loop.
 */
export function reconnectStrategy(t: Pick<ConnectionTuning, 'reconnectBaseMs' | 'reconnectMaxMs'>): (times: number) => number {
  const options = { baseMs: t.reconnectBaseMs, capMs: t.reconnectMaxMs, floorMs: t.reconnectBaseMs / 2 };
  return (times) => backoffDelay(times - 1, options);
}

/**
 * The ioredis options that make shared state fail fast instead of piling up work:
 * no offline queue (a command while disconnected fails at once), a command timeout, no
 * resend of unanswered commands after a reconnect (a rate-limit decision or an
 * idempotency claim must not be replayed behind the caller's back), and reconnects with
 * capped, jittered exponential backoff forever.
 */
export function commonRedisOptions(t: ConnectionTuning): RedisOptions {
  return {
    commandTimeout: t.commandTimeoutMs,
    connectTimeout: t.connectTimeoutMs,
    socketTimeout: t.socketTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    lazyConnect: false,
    connectionName: t.connectionName,
    retryStrategy: reconnectStrategy(t),
    // Scripts go in the constructor: they are loaded per connection (EVALSHA, then EVAL
    // on NOSCRIPT after a Redis restart) and, unlike defineCommand, survive duplicate().
    scripts: { ...t.scripts },
  };
}

export type ClientConfig =
  | { kind: 'redis'; options: RedisOptions }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; options: ClusterOptions };

/** Maps a parsed `REDIS_URL` to the constructor arguments of an ioredis client. */
export function clientConfig(target: RedisTarget, t: ConnectionTuning): ClientConfig {
  const common = commonRedisOptions(t);
  const auth = { username: target.username, password: target.password };
  switch (target.kind) {
    case 'standalone':
      return {
        kind: 'redis',
        options: {
          ...common,
          ...auth,
          host: target.address.host,
          port: target.address.port,
          db: target.db,
          ...(target.tls ? { tls: { servername: target.address.host } } : {}),
        },
      };
    case 'sentinel':
      return {
        kind: 'redis',
        options: {
          ...common,
          ...auth,
          sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
          name: target.masterName,
          db: target.db,
          sentinelUsername: target.sentinelUsername,
          sentinelPassword: target.sentinelPassword,
          sentinelCommandTimeout: t.commandTimeoutMs,
          sentinelRetryStrategy: reconnectStrategy(t),
          // Follow a failover: a master demoted to replica answers READONLY; reconnect
          // so the Sentinels name the new master.
          reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
          ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        },
      };
    case 'cluster': {
      const { retryStrategy: _retry, enableOfflineQueue: _offline, scripts, ...perNode } = common;
      return {
        kind: 'cluster',
        nodes: target.nodes.map((n) => ({ host: n.host, port: n.port })),
        options: {
          enableOfflineQueue: false,
          enableReadyCheck: true,
          scripts,
          slotsRefreshTimeout: Math.max(t.commandTimeoutMs, 1000),
          clusterRetryStrategy: reconnectStrategy(t),
          // Let a restarted node be reconnected without waiting for a MOVED.
          clusterNodeRetryStrategy: reconnectStrategy(t),
          redisOptions: { ...perNode, ...auth, ...(target.tls ? { tls: {} } : {}) },
        },
      };
    }
  }
}
