export { startPrivateRedis, type PrivateRedis, type PrivateRedisOptions } from './private-redis.js';
export { startPrivateRedisCluster, type PrivateRedisCluster } from './private-redis-cluster.js';
