import { hostname, tmpdir } from 'node:os';
import { envVar, readEnv, type EnvRule } from '@gw/app-kit';
import { DEFAULT_CONFIG_STREAM_MODE, parseControllerAddresses, type ConfigStreamMode, type ControllerAddress } from '@gw/config-client';
import { tlsSettingsProblem, type TlsFiles } from '@gw/grpc-tls';
import type { LogLevel } from '@gw/logging';
import { CONNECTION_MEMORY_BYTES, PER_ADDRESS_SHARE, SHED_MIN_LAG_MS } from '@gw/proxy';
import { defaultMaxConnections } from './connection-limit.js';

/** The runtime's configuration, read once from the environment (see README: Configuration). */
export interface RuntimeConfig {
  /** With mutual TLS, the id in the runtime's own certificate unless RUNTIME_ID is given (and must then be the same). */
  runtimeId: string | undefined;
  /**
   * Mutual TLS towards controllers: this runtime's certificate and key, and the CA that
   * signs controller certificates (as `caFile`). Undefined only with CONFIG_INSECURE=true.
   */
  controllerTls: TlsFiles | undefined;
  /** The name checked against controller certificates instead of each address's host. */
  controllerTlsServerName: string | undefined;
  zone: string;
  /** Controller gRPC endpoints, zone-tagged or not (`a=10.0.1.5:9090,10.0.2.5:9090`). */
  controllerAddresses: ControllerAddress[];
  /** gRPC keepalive towards the controller: ping interval and how long to wait for the answer. */
  controllerKeepaliveMs: number;
  controllerKeepaliveTimeoutMs: number;
  /** While on a less preferred controller, how often to check whether a preferred one is back (0: never). */
  controllerPreferredRetryMs: number;
  /** `delta`: controllers send only what changed (incremental xDS); `full`: the whole state on every version. */
  configStreamMode: ConfigStreamMode;
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
  /** Slow clients: a request body or a response silent this long is cut (0: off). */
  clientBodyTimeoutMs: number;
  clientSendTimeoutMs: number;
  /** Keep request headers whose name contains `_` (dropped by default, as nginx does). */
  allowUnderscoresInHeaders: boolean;
  /** Buffering for slow clients (docs/slow-clients.md). */
  bufferMemoryBytes: number;
  /** What each open client connection is charged in `bufferMemoryBytes` (its measured footprint; 0: not charged). */
  bufferConnectionBytes: number;
  /** While the response side of `bufferMemoryBytes` is past its share, responses whose clients lagged this long are cut (0: never). */
  bufferShedMinLagMs: number;
  requestBufferBytes: number;
  responseBufferBytes: number;
  /** Responses spilled to temporary files once memory is spent: all together, one response at most, and where. */
  bufferDiskBytes: number;
  responseDiskBytes: number;
  bufferDir: string;
  /** Client connections beyond this are refused at once; by default derived from the descriptor limit. */
  maxConnections: number;
  /** One client address may hold at most this many of them; by default 90 % of maxConnections (0: no per-address cap). */
  maxConnectionsPerAddress: number;
  logLevel: LogLevel;
}

/** Every variable the runtime reads (README: Configuration, Runtime). */
const RUNTIME_ENV = {
  RUNTIME_ID: envVar.string(),
  ZONE: envVar.string({ default: 'default' }),
  CONTROLLER_ADDRESSES: envVar.required('is required: comma-separated host:port (or zone=host:port) of controller gRPC endpoints').transform((raw, ctx) => {
    try {
      return parseControllerAddresses(raw);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: `: ${err instanceof Error ? err.message : String(err)}`, input: raw });
      return [];
    }
  }),
  CONTROLLER_TLS_CA_FILE: envVar.string(),
  CONTROLLER_TLS_CERT_FILE: envVar.string(),
  CONTROLLER_TLS_KEY_FILE: envVar.string(),
  CONTROLLER_TLS_SERVER_NAME: envVar.string(),
  CONFIG_INSECURE: envVar.oneOf(['false', 'true'], { default: 'false' }),
  // Controllers refuse pings more often than once a second (gRPC "too many pings").
  CONTROLLER_KEEPALIVE_MS: envVar.int({ default: 3_000, min: 1_000, max: 3_600_000 }),
  CONTROLLER_KEEPALIVE_TIMEOUT_MS: envVar.int({ default: 2_000, min: 100, max: 600_000 }),
  // 0 (off) or an interval of at least a second.
  CONTROLLER_PREFERRED_RETRY_MS: envVar.int({ default: 30_000, min: 0, max: 86_400_000 }).refine((n) => n === 0 || n >= 1_000, { error: 'must be 0 (off) or at least 1000' }),
  CONFIG_STREAM_MODE: envVar.oneOf(['delta', 'full'], { default: DEFAULT_CONFIG_STREAM_MODE }),
  RUNTIME_HOST: envVar.string({ default: '0.0.0.0' }),
  RUNTIME_HTTP_PORT: envVar.port({ default: 8000 }),
  RUNTIME_ADMIN_HOST: envVar.string({ default: '0.0.0.0' }),
  RUNTIME_ADMIN_PORT: envVar.port({ default: 9901 }),
  CONFIG_CACHE_DIR: envVar.string(),
  RUNTIME_MAX_APIS: envVar.int({ default: 100_000, min: 1, max: 10_000_000 }),
  REDIS_URL: envVar.string(),
  SHUTDOWN_GRACE_MS: envVar.int({ default: 5_000, min: 0, max: 600_000 }),
  // Drain and the hardened edge: limits and timeouts of the proxy listener.
  DRAIN_GRACE_MS: envVar.int({ default: 5_000, min: 0, max: 600_000 }),
  WEBSOCKET_DRAIN_MS: envVar.int({ default: 5_000, min: 0, max: 600_000 }),
  TRUSTED_PROXY_HOPS: envVar.int({ default: 0, min: 0, max: 16 }),
  MAX_HEADER_BYTES: envVar.int({ default: 16_384, min: 1_024, max: 1_048_576 }),
  MAX_URL_BYTES: envVar.int({ default: 8_192, min: 64, max: 1_048_576 }),
  MAX_BODY_BYTES: envVar.int({ default: 10_485_760, min: 0, max: Number.MAX_SAFE_INTEGER }),
  HEADERS_TIMEOUT_MS: envVar.int({ default: 10_000, min: 100, max: 600_000 }),
  REQUEST_TIMEOUT_MS: envVar.int({ default: 300_000, min: 0, max: 86_400_000 }),
  KEEPALIVE_TIMEOUT_MS: envVar.int({ default: 65_000, min: 100, max: 3_600_000 }),
  // Slow clients (nginx's client_body_timeout and send_timeout): 0 turns a watch off.
  CLIENT_BODY_TIMEOUT_MS: envVar.int({ default: 60_000, min: 0, max: 3_600_000 }),
  CLIENT_SEND_TIMEOUT_MS: envVar.int({ default: 60_000, min: 0, max: 3_600_000 }),
  // nginx's underscores_in_headers: off by default (CGI/WSGI/PHP read `Content_Length` as `Content-Length`).
  ALLOW_UNDERSCORES_IN_HEADERS: envVar.oneOf(['false', 'true'], { default: 'false' }),
  // One memory budget for every buffered body, and what one request or response may buffer (0: off).
  BUFFER_MEMORY_BYTES: envVar.int({ default: 268_435_456, min: 0, max: Number.MAX_SAFE_INTEGER }),
  // Each open client connection's own cost, charged in BUFFER_MEMORY_BYTES (measured: CONNECTION_MEMORY_BYTES); 0: not charged.
  BUFFER_CONNECTION_BYTES: envVar.int({ default: CONNECTION_MEMORY_BYTES, min: 0, max: 16_777_216 }),
  // Past the response side's share of BUFFER_MEMORY_BYTES, responses whose clients lagged this long are cut (SHED_MIN_LAG_MS); 0: never.
  BUFFER_SHED_MIN_LAG_MS: envVar.int({ default: SHED_MIN_LAG_MS, min: 0, max: 3_600_000 }),
  REQUEST_BUFFER_BYTES: envVar.int({ default: 1_048_576, min: 0, max: Number.MAX_SAFE_INTEGER }),
  RESPONSE_BUFFER_BYTES: envVar.int({ default: 1_048_576, min: 0, max: Number.MAX_SAFE_INTEGER }),
  // Responses kept in temporary files for slow clients once memory is spent (nginx's proxy_max_temp_file_size); 0: off.
  BUFFER_DISK_BYTES: envVar.int({ default: 1_073_741_824, min: 0, max: Number.MAX_SAFE_INTEGER }),
  RESPONSE_DISK_BYTES: envVar.int({ default: 67_108_864, min: 0, max: Number.MAX_SAFE_INTEGER }),
  // Unset: the OS temp directory.
  BUFFER_DIR: envVar.string(),
  // Unset: half of the open-file limit after a reserve (connection-limit.ts); 0: no cap.
  MAX_CONNECTIONS: envVar.int({ min: 0, max: 10_000_000 }),
  // Unset: 90 % of MAX_CONNECTIONS, the rest a reserve one address cannot take (overload-guard.ts); 0: no per-address cap.
  MAX_CONNECTIONS_PER_ADDRESS: envVar.int({ min: 0, max: 10_000_000 }),
  LOG_LEVEL: envVar.logLevel({ default: 'info' }),
};

const TLS_VARS = ['CONTROLLER_TLS_CA_FILE', 'CONTROLLER_TLS_CERT_FILE', 'CONTROLLER_TLS_KEY_FILE'] as const;

const RUNTIME_RULES: EnvRule<typeof RUNTIME_ENV>[] = [
  {
    uses: [...TLS_VARS, 'CONFIG_INSECURE'],
    check: (e) => tlsSettingsProblem(TLS_VARS, e, 'only controllers with a certificate from that CA may configure this runtime'),
  },
  {
    uses: ['MAX_URL_BYTES', 'MAX_HEADER_BYTES'],
    check: (e) =>
      e.MAX_URL_BYTES >= e.MAX_HEADER_BYTES
        ? `MAX_URL_BYTES (${e.MAX_URL_BYTES}) must be below MAX_HEADER_BYTES (${e.MAX_HEADER_BYTES}): the request line counts towards the header limit`
        : undefined,
  },
  {
    uses: ['REQUEST_TIMEOUT_MS', 'HEADERS_TIMEOUT_MS'],
    check: (e) =>
      e.REQUEST_TIMEOUT_MS !== 0 && e.REQUEST_TIMEOUT_MS < e.HEADERS_TIMEOUT_MS
        ? `REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS}) must be 0 (off) or at least HEADERS_TIMEOUT_MS (${e.HEADERS_TIMEOUT_MS})`
        : undefined,
  },
];

export function readRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const e = readEnv(RUNTIME_ENV, env, RUNTIME_RULES);
  const maxConnections = e.MAX_CONNECTIONS ?? defaultMaxConnections();
  return {
    // Insecure: the host name as before. Secure: resolved against the certificate at start (runtime-identity.ts).
    runtimeId: e.RUNTIME_ID ?? (e.CONFIG_INSECURE === 'true' ? hostname() : undefined),
    controllerTls:
      e.CONTROLLER_TLS_CA_FILE && e.CONTROLLER_TLS_CERT_FILE && e.CONTROLLER_TLS_KEY_FILE
        ? { certFile: e.CONTROLLER_TLS_CERT_FILE, keyFile: e.CONTROLLER_TLS_KEY_FILE, caFile: e.CONTROLLER_TLS_CA_FILE }
        : undefined,
    controllerTlsServerName: e.CONTROLLER_TLS_SERVER_NAME,
    zone: e.ZONE,
    controllerAddresses: e.CONTROLLER_ADDRESSES,
    controllerKeepaliveMs: e.CONTROLLER_KEEPALIVE_MS,
    controllerKeepaliveTimeoutMs: e.CONTROLLER_KEEPALIVE_TIMEOUT_MS,
    controllerPreferredRetryMs: e.CONTROLLER_PREFERRED_RETRY_MS,
    configStreamMode: e.CONFIG_STREAM_MODE,
    host: e.RUNTIME_HOST,
    httpPort: e.RUNTIME_HTTP_PORT,
    adminHost: e.RUNTIME_ADMIN_HOST,
    adminPort: e.RUNTIME_ADMIN_PORT,
    configCacheDir: e.CONFIG_CACHE_DIR,
    maxApis: e.RUNTIME_MAX_APIS,
    redisUrl: e.REDIS_URL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    drainGraceMs: e.DRAIN_GRACE_MS,
    webSocketDrainMs: e.WEBSOCKET_DRAIN_MS,
    trustedProxyHops: e.TRUSTED_PROXY_HOPS,
    maxHeaderBytes: e.MAX_HEADER_BYTES,
    maxUrlBytes: e.MAX_URL_BYTES,
    maxBodyBytes: e.MAX_BODY_BYTES,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEPALIVE_TIMEOUT_MS,
    clientBodyTimeoutMs: e.CLIENT_BODY_TIMEOUT_MS,
    clientSendTimeoutMs: e.CLIENT_SEND_TIMEOUT_MS,
    allowUnderscoresInHeaders: e.ALLOW_UNDERSCORES_IN_HEADERS === 'true',
    bufferMemoryBytes: e.BUFFER_MEMORY_BYTES,
    bufferConnectionBytes: e.BUFFER_CONNECTION_BYTES,
    bufferShedMinLagMs: e.BUFFER_SHED_MIN_LAG_MS,
    requestBufferBytes: e.REQUEST_BUFFER_BYTES,
    responseBufferBytes: e.RESPONSE_BUFFER_BYTES,
    bufferDiskBytes: e.BUFFER_DISK_BYTES,
    responseDiskBytes: e.RESPONSE_DISK_BYTES,
    bufferDir: e.BUFFER_DIR ?? tmpdir(),
    maxConnections,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS ?? Math.floor(maxConnections * PER_ADDRESS_SHARE),
    logLevel: e.LOG_LEVEL,
  };
}
