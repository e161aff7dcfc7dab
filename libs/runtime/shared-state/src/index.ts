export { createRedis, SharedRedis, type RedisClient, type SharedRedisOptions, type SharedRedisStats, type RunOptions } from './shared-redis.js';
export { parseRedisUrl, redactRedisUrl, describeRedisTarget, type RedisTarget, type RedisAddress } from './redis-url.js';
export { type RedisScript } from './redis-options.js';
export { classifyRedisFailure, type FailureKind } from './failure-kind.js';
export { withDeadline, DeadlineExceeded } from './deadline.js';
