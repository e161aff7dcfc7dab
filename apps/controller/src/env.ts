import { hostname } from 'node:os';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { parseLogLevel, type LogLevel } from '@gw/logging';

/** The controller's configuration, read once from the environment (see README: Configuration). */
export interface ControllerConfig {
  databaseUrl: string;
  controllerId: string;
  zone: string;
  host: string;
  httpPort: number;
  grpcPort: number;
  adminToken: string | undefined;
  changeFeedMode: 'listen' | 'poll';
  pollIntervalMs: number;
  dbPoolMax: number;
  dbConnectTimeoutMs: number;
  shutdownGraceMs: number;
  logLevel: LogLevel;
}

export function readControllerConfig(env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const databaseUrl = env['DATABASE_URL'];
  if (!databaseUrl) throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'DATABASE_URL is required (e.g. postgres://user@127.0.0.1:5432/gateway)');
  const mode = env['CHANGE_FEED_MODE'] ?? 'listen';
  if (mode !== 'listen' && mode !== 'poll') throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `CHANGE_FEED_MODE must be "listen" or "poll", got "${mode}"`);
  const token = env['ADMIN_TOKEN'];
  return {
    databaseUrl,
    controllerId: env['CONTROLLER_ID'] || `${hostname()}-${process.pid}`,
    zone: env['ZONE'] || 'default',
    host: env['CONTROLLER_HOST'] || '0.0.0.0',
    httpPort: port(env, 'CONTROLLER_HTTP_PORT', 8080),
    grpcPort: port(env, 'CONTROLLER_GRPC_PORT', 9090),
    adminToken: token ? token : undefined,
    changeFeedMode: mode,
    pollIntervalMs: int(env, 'CHANGE_FEED_POLL_MS', 1_000, 50, 600_000),
    dbPoolMax: int(env, 'DB_POOL_MAX', 10, 1, 1_000),
    dbConnectTimeoutMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 2_000, 100, 60_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 5_000, 0, 600_000),
    logLevel: parseLogLevel(env['LOG_LEVEL']),
  };
}

export function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return int(env, name, fallback, 0, 65_535);
}

export function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}
