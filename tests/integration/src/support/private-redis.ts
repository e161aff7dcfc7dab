// Redis servers of the test's own (free port, no persistence; kill, pause, restart).
export { startPrivateRedis, startPrivateRedisCluster, type PrivateRedis, type PrivateRedisCluster } from '@gw/shared-state/testing';
