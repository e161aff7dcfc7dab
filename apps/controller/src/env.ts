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
  /** `auto` (default) probes cross-connection NOTIFY at start and uses `poll` where it is not delivered (PGlite). */
  changeFeedMode: 'listen' | 'poll' | 'auto';
  pollIntervalMs: number;
  dbPoolMax: number;
  dbConnectTimeoutMs: number;
  /** How often readiness checks the database (`select 1`), and how long one check may take. */
  dbHealthIntervalMs: number;
  dbHealthTimeoutMs: number;
  shutdownGraceMs: number;
  logLevel: LogLevel;
  /** Fleet status: how often live runtime sessions are re-written (last seen). */
  fleetHeartbeatMs: number;
  /** A connected runtime not seen for this long is stale (default 3 heartbeats). */
  fleetStaleAfterMs: number;
  /** Runtimes not seen for this long are dropped from the fleet status. */
  fleetRetentionMs: number;
}

export function readControllerConfig(env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const databaseUrl = env['DATABASE_URL'];
  if (!databaseUrl) throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'DATABASE_URL is required (e.g. postgres://user@127.0.0.1:5432/gateway)');
  const mode = env['CHANGE_FEED_MODE'] || 'auto';
  if (mode !== 'listen' && mode !== 'poll' && mode !== 'auto') {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `CHANGE_FEED_MODE must be "auto", "listen" or "poll", got "${mode}"`);
  }
  const token = env['ADMIN_TOKEN'];
  const fleetHeartbeatMs = int(env, 'FLEET_HEARTBEAT_MS', 5_000, 100, 300_000);
  const fleetStaleAfterMs = int(env, 'FLEET_STALE_AFTER_MS', 3 * fleetHeartbeatMs, 1, 3_600_000);
  if (fleetStaleAfterMs <= fleetHeartbeatMs) {
    // Every live runtime would flap to stale between two heartbeats.
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `FLEET_STALE_AFTER_MS (${fleetStaleAfterMs}) must be greater than FLEET_HEARTBEAT_MS (${fleetHeartbeatMs})`);
  }
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
    dbHealthIntervalMs: int(env, 'DB_HEALTH_INTERVAL_MS', 1_000, 100, 600_000),
    dbHealthTimeoutMs: int(env, 'DB_HEALTH_TIMEOUT_MS', 1_000, 100, 60_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 5_000, 0, 600_000),
    logLevel: parseLogLevel(env['LOG_LEVEL']),
    fleetHeartbeatMs,
    fleetStaleAfterMs,
    fleetRetentionMs: int(env, 'FLEET_RETENTION_MS', 86_400_000, 60_000, 31_536_000_000),
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
