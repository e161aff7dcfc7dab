import { hostname } from 'node:os';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { parseLogLevel, type LogLevel } from '@gw/logging';

/** The runtime's configuration, read once from the environment (see README: Configuration). */
export interface RuntimeConfig {
  runtimeId: string;
  zone: string;
  controllerAddresses: string[];
  host: string;
  httpPort: number;
  adminHost: string;
  adminPort: number;
  configCacheDir: string | undefined;
  /** Snapshots with more APIs are NACKed: a guard against configs this runtime is not sized for. */
  maxApis: number;
  redisUrl: string | undefined;
  shutdownGraceMs: number;
  logLevel: LogLevel;
}

const ADDRESS_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function readRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const raw = env['CONTROLLER_ADDRESSES'] ?? '';
  const controllerAddresses = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (controllerAddresses.length === 0) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'CONTROLLER_ADDRESSES is required: comma-separated host:port of controller gRPC endpoints');
  }
  for (const a of controllerAddresses) {
    const m = ADDRESS_RE.exec(a);
    if (!m || Number(m[2]) > 65_535) throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `CONTROLLER_ADDRESSES: "${a}" is not host:port`);
  }
  return {
    runtimeId: env['RUNTIME_ID'] || hostname(),
    zone: env['ZONE'] || 'default',
    controllerAddresses,
    host: env['RUNTIME_HOST'] || '0.0.0.0',
    httpPort: int(env, 'RUNTIME_HTTP_PORT', 8000, 0, 65_535),
    adminHost: env['RUNTIME_ADMIN_HOST'] || '0.0.0.0',
    adminPort: int(env, 'RUNTIME_ADMIN_PORT', 9901, 0, 65_535),
    configCacheDir: env['CONFIG_CACHE_DIR'] || undefined,
    maxApis: int(env, 'RUNTIME_MAX_APIS', 100_000, 1, 10_000_000),
    redisUrl: env['REDIS_URL'] || undefined,
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 5_000, 0, 600_000),
    logLevel: parseLogLevel(env['LOG_LEVEL']),
  };
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}
