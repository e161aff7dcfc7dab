import { IDEMPOTENCY_SCRIPTS } from '@gw/idempotency';
import type { Logger } from '@gw/logging';
import { RATE_LIMIT_SCRIPTS } from '@gw/rate-limit';
import { createRedis, type SharedRedis } from '@gw/shared-state';

/** What `/config` shows under `sharedState`. */
export interface SharedStateReport {
  /** `redis`: global limits and idempotency keys are shared by every runtime; `local`: per runtime. */
  mode: 'redis' | 'local';
  /** `describeRedisTarget` (never a password); null without REDIS_URL. */
  target: string | null;
  /** Whether calls go to Redis right now (false while down or paused); null without REDIS_URL. */
  available: boolean | null;
  /** How often the connection became unavailable since start. */
  outages: number;
}

export interface SharedState {
  readonly redis: SharedRedis | undefined;
  report(): SharedStateReport;
  close(): Promise<void>;
}

/**
 * The runtime's one Redis connection (`REDIS_URL`: single node, Sentinel or Cluster), with
 * the rate-limit and idempotency scripts, created once at start; it connects (and
 * reconnects) in the background and never delays the start. Without `REDIS_URL` the
 * runtime keeps that state locally and says so in its start log and in `/config`.
 */
export function connectSharedState(redisUrl: string | undefined, runtimeId: string, logger: Logger): SharedState {
  if (redisUrl === undefined) {
    logger.warn({ sharedState: 'local' }, 'no REDIS_URL: rate limits and idempotency keys are counted and kept per runtime (global limits are not shared)');
    return { redis: undefined, report: () => ({ mode: 'local', target: null, available: null, outages: 0 }), close: async () => undefined };
  }
  // A malformed URL throws GW_CONFIG_ENV with the password masked: the runtime does not start.
  // (CLIENT SETNAME refuses spaces, so the runtime id is reduced to safe characters.)
  const redis = createRedis({ url: redisUrl, scripts: { ...RATE_LIMIT_SCRIPTS, ...IDEMPOTENCY_SCRIPTS }, logger, connectionName: `gw-runtime:${runtimeId.replace(/[^A-Za-z0-9._:-]/g, '_')}` });
  logger.info({ sharedState: 'redis', redis: redis.description }, 'shared state in Redis: global rate limits and idempotency keys are shared by every runtime');
  return {
    redis,
    report: () => ({ mode: 'redis', target: redis.description, available: redis.available, outages: redis.stats().outages }),
    close: () => redis.close(),
  };
}
