import { hostname } from 'node:os';
import { envVar, readEnv, type EnvRule } from '@gw/app-kit';
import { tlsSettingsProblem, type TlsFiles } from '@gw/grpc-tls';
import type { LogLevel } from '@gw/logging';

/** The controller's configuration, read once from the environment (see README: Configuration). */
export interface ControllerConfig {
  databaseUrl: string;
  controllerId: string;
  zone: string;
  host: string;
  httpPort: number;
  grpcPort: number;
  /**
   * Mutual TLS on the config stream: the controller's certificate and key, and the CA that
   * signs runtime certificates (as `caFile`). Undefined only with CONFIG_INSECURE=true.
   */
  configTls: TlsFiles | undefined;
  /** The bootstrap admin token (actor `admin`); undefined only with `authDisabled`. */
  adminToken: string | undefined;
  /** ADMIN_AUTH_DISABLED=true: the explicit opt-out of deploy-API authentication. */
  authDisabled: boolean;
  /** `auto` (default) probes cross-connection NOTIFY at start and uses `poll` where it is not delivered (PGlite). */
  changeFeedMode: 'listen' | 'poll' | 'auto';
  pollIntervalMs: number;
  dbPoolMax: number;
  dbConnectTimeoutMs: number;
  /** Client-side deadline on every database call of the deploy path (a frozen server cannot hold a request). */
  dbRequestTimeoutMs: number;
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
  /** New config streams admitted per second (resync storms); undefined: the config server's default. */
  admitPerSecond: number | undefined;
  /** The key files that seal secrets at rest (secret-keys.ts). */
  secretKeys: SecretKeyFiles;
}

/** SECRETS_KEY_FILE seals and opens; SECRETS_PREVIOUS_KEY_FILES only open (during a key rotation). */
export interface SecretKeyFiles {
  current: string | undefined;
  previous: string[];
}

/** Every variable the controller reads (README: Configuration, Controller). */
const CONTROLLER_ENV = {
  DATABASE_URL: envVar.required('is required (e.g. postgres://user@127.0.0.1:5432/gateway)'),
  CONTROLLER_ID: envVar.string(),
  ZONE: envVar.string({ default: 'default' }),
  CONTROLLER_HOST: envVar.string({ default: '0.0.0.0' }),
  CONTROLLER_HTTP_PORT: envVar.port({ default: 8080 }),
  CONTROLLER_GRPC_PORT: envVar.port({ default: 9090 }),
  CONFIG_TLS_CERT_FILE: envVar.string(),
  CONFIG_TLS_KEY_FILE: envVar.string(),
  CONFIG_TLS_CLIENT_CA_FILE: envVar.string(),
  CONFIG_INSECURE: envVar.oneOf(['false', 'true'], { default: 'false' }),
  ADMIN_TOKEN: envVar.string(),
  ADMIN_AUTH_DISABLED: envVar.oneOf(['false', 'true'], { default: 'false' }),
  CHANGE_FEED_MODE: envVar.oneOf(['auto', 'listen', 'poll'], { default: 'auto' }),
  CHANGE_FEED_POLL_MS: envVar.int({ default: 1_000, min: 50, max: 600_000 }),
  DB_POOL_MAX: envVar.int({ default: 10, min: 1, max: 1_000 }),
  DB_CONNECT_TIMEOUT_MS: envVar.int({ default: 2_000, min: 100, max: 60_000 }),
  DB_REQUEST_TIMEOUT_MS: envVar.int({ default: 6_000, min: 100, max: 600_000 }),
  DB_HEALTH_INTERVAL_MS: envVar.int({ default: 1_000, min: 100, max: 600_000 }),
  DB_HEALTH_TIMEOUT_MS: envVar.int({ default: 1_000, min: 100, max: 60_000 }),
  SHUTDOWN_GRACE_MS: envVar.int({ default: 5_000, min: 0, max: 600_000 }),
  LOG_LEVEL: envVar.logLevel({ default: 'info' }),
  FLEET_HEARTBEAT_MS: envVar.int({ default: 5_000, min: 100, max: 300_000 }),
  // Default 3 × FLEET_HEARTBEAT_MS, worked out below.
  FLEET_STALE_AFTER_MS: envVar.int({ min: 1, max: 3_600_000 }),
  FLEET_RETENTION_MS: envVar.int({ default: 86_400_000, min: 60_000, max: 31_536_000_000 }),
  // New config streams admitted per second (burst: the same number); default DEFAULT_ADMISSION_RATE.
  CONFIG_ADMIT_PER_SECOND: envVar.int({ min: 1, max: 100_000 }),
  SECRETS_KEY_FILE: envVar.string(),
  // Comma-separated; decrypt-only, for values not yet re-sealed under SECRETS_KEY_FILE.
  SECRETS_PREVIOUS_KEY_FILES: envVar.string(),
};

const keyFileList = (raw: string | undefined): string[] => (raw ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');

const SECRET_RULES: EnvRule<Pick<typeof CONTROLLER_ENV, 'SECRETS_KEY_FILE' | 'SECRETS_PREVIOUS_KEY_FILES'>>[] = [
  {
    uses: ['SECRETS_KEY_FILE', 'SECRETS_PREVIOUS_KEY_FILES'],
    // Previous keys only open values; without a current key nothing would seal new ones.
    check: (e) => (e.SECRETS_KEY_FILE === undefined && keyFileList(e.SECRETS_PREVIOUS_KEY_FILES).length > 0 ? 'SECRETS_PREVIOUS_KEY_FILES needs SECRETS_KEY_FILE (the key that seals)' : undefined),
  },
];

const secretKeyFiles = (e: { SECRETS_KEY_FILE: string | undefined; SECRETS_PREVIOUS_KEY_FILES: string | undefined }): SecretKeyFiles => ({
  current: e.SECRETS_KEY_FILE,
  previous: keyFileList(e.SECRETS_PREVIOUS_KEY_FILES),
});

const staleAfterMs = (e: { FLEET_STALE_AFTER_MS: number | undefined; FLEET_HEARTBEAT_MS: number }) => e.FLEET_STALE_AFTER_MS ?? 3 * e.FLEET_HEARTBEAT_MS;

const TLS_VARS = ['CONFIG_TLS_CERT_FILE', 'CONFIG_TLS_KEY_FILE', 'CONFIG_TLS_CLIENT_CA_FILE'] as const;

const CONTROLLER_RULES: EnvRule<typeof CONTROLLER_ENV>[] = [
  ...SECRET_RULES,
  {
    uses: [...TLS_VARS, 'CONFIG_INSECURE'],
    check: (e) => tlsSettingsProblem(TLS_VARS, e, 'the config stream to runtimes carries the compiled config, secrets included'),
  },
  {
    uses: ['ADMIN_TOKEN', 'ADMIN_AUTH_DISABLED'],
    // Secure by default: no listener accepts changes without authentication unless the operator says so.
    check: (e) => {
      const disabled = e.ADMIN_AUTH_DISABLED === 'true';
      if (e.ADMIN_TOKEN === undefined && !disabled) {
        return 'ADMIN_TOKEN is required: set it to the bootstrap admin token (e.g. `openssl rand -base64 32`), or set ADMIN_AUTH_DISABLED=true to run the deploy API without authentication (never in production)';
      }
      if (e.ADMIN_TOKEN !== undefined && disabled) return 'ADMIN_TOKEN and ADMIN_AUTH_DISABLED=true contradict each other; unset one of them';
      if (e.ADMIN_TOKEN !== undefined && /\s/.test(e.ADMIN_TOKEN)) return 'ADMIN_TOKEN must not contain whitespace (no Authorization header could carry it)';
      return undefined;
    },
  },
  {
    uses: ['FLEET_STALE_AFTER_MS', 'FLEET_HEARTBEAT_MS'],
    // Every live runtime would flap to stale between two heartbeats.
    check: (e) =>
      staleAfterMs(e) <= e.FLEET_HEARTBEAT_MS ? `FLEET_STALE_AFTER_MS (${staleAfterMs(e)}) must be greater than FLEET_HEARTBEAT_MS (${e.FLEET_HEARTBEAT_MS})` : undefined,
  },
];

export function readControllerConfig(env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const e = readEnv(CONTROLLER_ENV, env, CONTROLLER_RULES);
  return {
    databaseUrl: e.DATABASE_URL,
    controllerId: e.CONTROLLER_ID ?? `${hostname()}-${process.pid}`,
    zone: e.ZONE,
    host: e.CONTROLLER_HOST,
    httpPort: e.CONTROLLER_HTTP_PORT,
    grpcPort: e.CONTROLLER_GRPC_PORT,
    configTls:
      e.CONFIG_TLS_CERT_FILE && e.CONFIG_TLS_KEY_FILE && e.CONFIG_TLS_CLIENT_CA_FILE
        ? { certFile: e.CONFIG_TLS_CERT_FILE, keyFile: e.CONFIG_TLS_KEY_FILE, caFile: e.CONFIG_TLS_CLIENT_CA_FILE }
        : undefined,
    adminToken: e.ADMIN_TOKEN,
    authDisabled: e.ADMIN_AUTH_DISABLED === 'true',
    changeFeedMode: e.CHANGE_FEED_MODE,
    pollIntervalMs: e.CHANGE_FEED_POLL_MS,
    dbPoolMax: e.DB_POOL_MAX,
    dbConnectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    dbRequestTimeoutMs: e.DB_REQUEST_TIMEOUT_MS,
    dbHealthIntervalMs: e.DB_HEALTH_INTERVAL_MS,
    dbHealthTimeoutMs: e.DB_HEALTH_TIMEOUT_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    fleetHeartbeatMs: e.FLEET_HEARTBEAT_MS,
    fleetStaleAfterMs: staleAfterMs(e),
    fleetRetentionMs: e.FLEET_RETENTION_MS,
    admitPerSecond: e.CONFIG_ADMIT_PER_SECOND,
    secretKeys: secretKeyFiles(e),
  };
}

/** What `main.js reseal` needs: the database, the keys, and the log level; nothing that serves. */
export interface ResealConfig {
  databaseUrl: string;
  dbConnectTimeoutMs: number;
  logLevel: LogLevel;
  secretKeys: SecretKeyFiles;
}

export function readResealConfig(env: NodeJS.ProcessEnv = process.env): ResealConfig {
  const { DATABASE_URL, DB_CONNECT_TIMEOUT_MS, LOG_LEVEL, SECRETS_PREVIOUS_KEY_FILES } = CONTROLLER_ENV;
  const e = readEnv(
    { DATABASE_URL, DB_CONNECT_TIMEOUT_MS, LOG_LEVEL, SECRETS_KEY_FILE: envVar.required('is required by reseal: the key to seal every secret under'), SECRETS_PREVIOUS_KEY_FILES },
    env,
  );
  return { databaseUrl: e.DATABASE_URL, dbConnectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, logLevel: e.LOG_LEVEL, secretKeys: secretKeyFiles(e) };
}
