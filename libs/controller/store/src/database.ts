import { type Logger, silentLogger } from '@gw/logging';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { withQueryDeadline } from './database-deadline.js';
import type { DatabaseSchema } from './schema.js';

/** Default client-side deadline per query: above the 5 s statement timeout, so a live server answers with its own error first. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 6_000;

export interface DatabaseOptions {
  connectionString: string;
  /** Most connections the pool opens (default 10). */
  poolMax?: number;
  /** How long to wait for a new connection before failing (default 2000 ms; pg's own default waits forever). */
  connectionTimeoutMillis?: number;
  /** Server-side cap on any one statement (default 5000 ms), so a stuck query cannot hold a request forever. */
  statementTimeoutMs?: number;
  /** Close pooled connections idle this long (pg default 10000 ms; 0 keeps them open). */
  idleTimeoutMillis?: number;
  /**
   * Client-side deadline on every query (default DEFAULT_REQUEST_TIMEOUT_MS): when it fires
   * the connection is destroyed and the query rejects with DatabaseDeadlineError. Unlike
   * the server-side statement timeout, it also bounds a frozen server or a dead network path.
   */
  requestTimeoutMs?: number;
  /** Shown in pg_stat_activity (default `gw-store`). */
  applicationName?: string;
  logger?: Logger;
}

export interface Database {
  db: Kysely<DatabaseSchema>;
  pool: pg.Pool;
  /** Ends the pool; safe to call more than once. */
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * bigint columns (versions, epochs, audit ids) come back as JS numbers instead of pg's
 * default strings: they stay far below 2^53. Scoped to our pools, not pg's global table,
 * so other pg users in the process are unaffected.
 */
export const storeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** A pg pool with bounded waits (checkout, statement, and a client-side deadline on every query), wrapped in kysely. */
export function createDatabase(options: DatabaseOptions): Database {
  const logger = options.logger ?? silentLogger;
  const poolConfig: pg.PoolConfig = {
    connectionString: options.connectionString,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 2000,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    application_name: options.applicationName ?? 'gw-store',
    keepAlive: true,
    types: storeTypes,
  };
  if (options.idleTimeoutMillis !== undefined) poolConfig.idleTimeoutMillis = options.idleTimeoutMillis;
  const pool = new pg.Pool(poolConfig);
  // An idle client losing its socket (server restart, failover) is emitted here; without a
  // listener Node would crash the process. The pool has already discarded the client.
  pool.on('error', (err) => {
    logger.warn({ err }, 'idle database connection failed');
  });
  // A client checked out (kysely holds one for each query and transaction) has no pool
  // listener: when the server shuts down (docker stop postgres: "terminating connection due
  // to administrator command") pg emits 'error' on it, which would crash the process. The
  // operation using it fails with its own error and releases it; the pool drops it then.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      logger.debug({ err }, 'database connection in use lost');
    });
  });
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: withQueryDeadline(pool, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) }) });
  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    close() {
      closing ??= (async () => {
        // kysely ends the pool only if it ever used it; end it ourselves otherwise.
        await db.destroy();
        if (!pool.ended) await pool.end();
      })();
      return closing;
    },
  };
}
