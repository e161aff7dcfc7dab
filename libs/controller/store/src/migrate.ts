import { ErrorCodes, GatewayError } from '@gw/errors';
import { type Logger, silentLogger } from '@gw/logging';
import { type Kysely, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from './migrations/index.js';
import type { DatabaseSchema } from './schema.js';
import { toStoreError } from './store-error.js';

/**
 * Our own advisory lock key (an arbitrary constant, distinct from kysely's). kysely locks
 * only around running migrations and creates its bookkeeping tables before that, relying
 * on catch-and-recheck when replicas collide; holding our lock for the whole run makes
 * one replica do everything while the others wait and then find nothing to do.
 */
export const MIGRATION_ADVISORY_LOCK_KEY = 7_270_418_233_001;

export interface MigrateOptions {
  /**
   * Statement timeout for the migrating session, which includes waiting for another
   * replica's migration to finish (default 60000 ms; the pool's 5 s default is too short).
   */
  timeoutMs?: number;
}

/**
 * Brings the schema to the latest migration. Safe when several replicas start together:
 * the whole run (kysely's table creation included) happens on one connection that holds
 * a session-level advisory lock, so the second replica waits and then finds nothing to do.
 * Returns the names of the migrations this call applied.
 */
export async function migrateToLatest(db: Kysely<DatabaseSchema>, logger: Logger = silentLogger, options: MigrateOptions = {}): Promise<string[]> {
  const timeoutMs = Math.max(0, Math.floor(options.timeoutMs ?? 60_000));
  try {
    return await db.connection().execute(async (conn) => {
      await sql`select set_config('statement_timeout', ${String(timeoutMs)}, false)`.execute(conn);
      await sql`select pg_advisory_lock(${MIGRATION_ADVISORY_LOCK_KEY}::bigint)`.execute(conn);
      try {
        const migrator = new Migrator({ db: conn, provider: migrationProvider });
        const { error, results = [] } = await migrator.migrateToLatest();
        const applied: string[] = [];
        for (const r of results) {
          if (r.status === 'Success') applied.push(r.migrationName);
          logger.info({ migration: r.migrationName, status: r.status }, 'migration');
        }
        if (error !== undefined) throw error;
        return applied;
      } finally {
        // If the connection broke, the session (and with it the lock) is already gone.
        await sql`select pg_advisory_unlock(${MIGRATION_ADVISORY_LOCK_KEY}::bigint)`.execute(conn).catch((err: unknown) => {
          logger.warn({ err }, 'could not release the migration lock');
        });
        // Back to the pool's own statement timeout before the connection is reused.
        await sql`reset statement_timeout`.execute(conn).catch(() => undefined);
      }
    });
  } catch (err) {
    const mapped = toStoreError(err, 'migration');
    if (mapped.code === ErrorCodes.GW_INTERNAL) {
      throw new GatewayError(ErrorCodes.GW_INTERNAL, 'Database migration failed.', { cause: err });
    }
    throw mapped;
  }
}
