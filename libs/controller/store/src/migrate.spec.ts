import { sql } from 'kysely';
import { Migrator, NO_MIGRATIONS } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { createDatabase, type Database } from './database.js';
import { MIGRATION_ADVISORY_LOCK_KEY, migrateToLatest } from './migrate.js';
import { migrationProvider, migrations } from './migrations/index.js';

const ALL_MIGRATIONS = Object.keys(migrations);
import { createTempDatabase, type TempDatabase } from './testing/index.js';

async function tableNames(database: Database): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(database.db);
  return rows.map((r) => r.table_name);
}

describe('migrateToLatest', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    // Pools first, then the database they point at.
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  async function freshDatabase(): Promise<TempDatabase> {
    const temp = await createTempDatabase();
    cleanups.push(() => temp.drop());
    return temp;
  }
  function open(url: string): Database {
    const database = createDatabase({ connectionString: url });
    cleanups.push(() => database.close());
    return database;
  }

  it('creates the schema, seeds config_state at version 0 epoch 1, and is idempotent', async () => {
    const temp = await freshDatabase();
    const database = open(temp.url);
    expect(await migrateToLatest(database.db)).toEqual(ALL_MIGRATIONS);
    expect(await tableNames(database)).toEqual(['admin_tokens', 'api_revisions', 'apis', 'audit_log', 'config_state', 'controller_heartbeats', 'runtime_sessions']);
    expect(await migrateToLatest(database.db)).toEqual([]);
    const rows = await database.db.selectFrom('config_state').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 1, version: 0, epoch: 1 });
    // The advisory lock is released: another session can take it at once.
    const { rows: lock } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${MIGRATION_ADVISORY_LOCK_KEY}::bigint) as ok`.execute(database.db);
    expect(lock[0]?.ok).toBe(true);
    await sql`select pg_advisory_unlock_all()`.execute(database.db);
  });

  it('lets two replicas migrate one fresh database at the same time', async () => {
    const temp = await freshDatabase();
    const a = open(temp.url);
    const b = open(temp.url);
    const results = await Promise.allSettled([migrateToLatest(a.db), migrateToLatest(b.db)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const applied = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    // Exactly one of them applied the migration; the other found nothing to do.
    expect(applied).toEqual(ALL_MIGRATIONS);
    expect(await a.db.selectFrom('config_state').select('version').execute()).toEqual([{ version: 0 }]);
  });

  it('waits for the migration lock held by another session before touching the schema', async () => {
    const temp = await freshDatabase();
    const holder = open(temp.url);
    const migrating = open(temp.url);
    await holder.db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(${MIGRATION_ADVISORY_LOCK_KEY}::bigint)`.execute(conn);
      let settled = false;
      const run = migrateToLatest(migrating.db).finally(() => {
        settled = true;
      });
      try {
        // Wait until the migrating session is blocked on our advisory lock.
        await waitFor(
          'the migration to wait for the lock',
          async () => {
            const { rows } = await sql<{ n: number }>`
              select count(*) as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`.execute(conn);
            return rows[0]?.n === 1;
          },
          { timeoutMs: 10_000 },
        );
        expect(settled).toBe(false);
        expect(await tableNames(holder)).toEqual([]);
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_ADVISORY_LOCK_KEY}::bigint)`.execute(conn);
      }
      expect(await run).toEqual(ALL_MIGRATIONS);
    });
  });

  it('can be reverted and re-applied (the initial migration has a working down)', async () => {
    const temp = await freshDatabase();
    const database = open(temp.url);
    await migrateToLatest(database.db);
    const migrator = new Migrator({ db: database.db, provider: migrationProvider });
    const down = await migrator.migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(await tableNames(database)).toEqual([]);
    expect(await migrateToLatest(database.db)).toEqual(ALL_MIGRATIONS);
    expect(await tableNames(database)).toHaveLength(7);
  });

  it('reports an unreachable database as GW_DATABASE_UNAVAILABLE', async () => {
    const database = createDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    cleanups.push(() => database.close());
    await expect(migrateToLatest(database.db)).rejects.toMatchObject({ code: 'GW_DATABASE_UNAVAILABLE' });
  });
});
