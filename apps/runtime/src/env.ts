import { hostname } from 'node:os';
import { parseControllerAddresses, type ControllerAddress } from '@gw/config-client';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { parseLogLevel, type LogLevel } from '@gw/logging';

/** The runtime's configuration, read once from the environment (see README: Configuration). */
export interface RuntimeConfig {
  runtimeId: string;
  zone: string;
  /** Controller gRPC endpoints, zone-tagged or not (`a=10.0.1.5:9090,10.0.2.5:9090`). */
  controllerAddresses: ControllerAddress[];
  /** gRPC keepalive towards the controller: ping interval and how long to wait for the answer. */
  controllerKeepaliveMs: number;
  controllerKeepaliveTimeoutMs: number;
  /** While on a less preferred controller, how often to check whether a preferred one is back (0: never). */
  controllerPreferredRetryMs: number;
  host: string;
  httpPort: number;
  adminHost: string;
  adminPort: number;
  configCacheDir: string | undefined;
  /** Snapshots with more APIs are NACKed: a guard against configs this runtime is not sized for. */
  maxApis: number;
  redisUrl: string | undefined;
  shutdownGraceMs: number;
  /** After SIGTERM: how long the proxy listener keeps serving (readiness 503) so load balancers notice. */
  drainGraceMs: number;
  /** After the drain grace: how long open WebSockets may go on before a close frame (1001). */
  webSocketDrainMs: number;
  /** The hardened edge (see README: "The hardened edge"). */
  trustedProxyHops: number;
  maxHeaderBytes: number;
  maxUrlBytes: number;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  logLevel: LogLevel;
}

export function readRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const raw = env['CONTROLLER_ADDRESSES'] ?? '';
  if (raw.trim() === '') {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'CONTROLLER_ADDRESSES is required: comma-separated host:port (or zone=host:port) of controller gRPC endpoints');
  }
  let controllerAddresses: ControllerAddress[];
  try {
    controllerAddresses = parseControllerAddresses(raw);
  } catch (err) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `CONTROLLER_ADDRESSES: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    runtimeId: env['RUNTIME_ID'] || hostname(),
    zone: env['ZONE'] || 'default',
    controllerAddresses,
    // Controllers refuse pings more often than once a second (gRPC "too many pings").
    controllerKeepaliveMs: int(env, 'CONTROLLER_KEEPALIVE_MS', 3_000, 1_000, 3_600_000),
    controllerKeepaliveTimeoutMs: int(env, 'CONTROLLER_KEEPALIVE_TIMEOUT_MS', 2_000, 100, 600_000),
    controllerPreferredRetryMs: nonNegativeInterval(env, 'CONTROLLER_PREFERRED_RETRY_MS', 30_000),
    host: env['RUNTIME_HOST'] || '0.0.0.0',
    httpPort: int(env, 'RUNTIME_HTTP_PORT', 8000, 0, 65_535),
    adminHost: env['RUNTIME_ADMIN_HOST'] || '0.0.0.0',
    adminPort: int(env, 'RUNTIME_ADMIN_PORT', 9901, 0, 65_535),
    configCacheDir: env['CONFIG_CACHE_DIR'] || undefined,
    maxApis: int(env, 'RUNTIME_MAX_APIS', 100_000, 1, 10_000_000),
    redisUrl: env['REDIS_URL'] || undefined,
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 5_000, 0, 600_000),
    ...edgeSettings(env),
    logLevel: parseLogLevel(env['LOG_LEVEL']),
  };
}

/** Drain and hardened-edge settings: limits and timeouts of the proxy listener. */
function edgeSettings(env: NodeJS.ProcessEnv) {
  const maxHeaderBytes = int(env, 'MAX_HEADER_BYTES', 16_384, 1_024, 1_048_576);
  const maxUrlBytes = int(env, 'MAX_URL_BYTES', 8_192, 64, 1_048_576);
  if (maxUrlBytes >= maxHeaderBytes) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `MAX_URL_BYTES (${maxUrlBytes}) must be below MAX_HEADER_BYTES (${maxHeaderBytes}): the request line counts towards the header limit`);
  }
  const headersTimeoutMs = int(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = int(env, 'REQUEST_TIMEOUT_MS', 300_000, 0, 86_400_000);
  if (requestTimeoutMs !== 0 && requestTimeoutMs < headersTimeoutMs) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `REQUEST_TIMEOUT_MS (${requestTimeoutMs}) must be 0 (off) or at least HEADERS_TIMEOUT_MS (${headersTimeoutMs})`);
  }
  return {
    drainGraceMs: int(env, 'DRAIN_GRACE_MS', 5_000, 0, 600_000),
    webSocketDrainMs: int(env, 'WEBSOCKET_DRAIN_MS', 5_000, 0, 600_000),
    trustedProxyHops: int(env, 'TRUSTED_PROXY_HOPS', 0, 0, 16),
    maxHeaderBytes,
    maxUrlBytes,
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 10_485_760, 0, Number.MAX_SAFE_INTEGER),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: int(env, 'KEEPALIVE_TIMEOUT_MS', 65_000, 100, 3_600_000),
  };
}

/** 0 (off) or an interval of at least a second. */
function nonNegativeInterval(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = int(env, name, fallback, 0, 86_400_000);
  if (n !== 0 && n < 1_000) throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `${name} must be 0 (off) or at least 1000, got "${n}"`);
  return n;
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
