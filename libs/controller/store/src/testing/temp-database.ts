import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase } from '../database.js';
import { migrateToLatest } from '../migrate.js';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TempDatabaseOptions {
  /** A database on the server to connect to for CREATE/DROP (default: TEST_DATABASE_URL or local postgres). */
  adminUrl?: string;
  /** Name prefix, handy to find leftovers (default `gw_test`). */
  prefix?: string;
  /** Run the store's migrations before returning (default false). */
  migrate?: boolean;
}

export interface TempDatabase {
  /** Connection string of the new database. */
  url: string;
  name: string;
  /** Terminates every remaining connection to the database, then drops it. Idempotent. */
  drop(): Promise<void>;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000, application_name: 'gw-test-admin' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, randomly named database: each test file (or test) gets its own, so they can run in parallel. */
export async function createTempDatabase(options: TempDatabaseOptions = {}): Promise<TempDatabase> {
  const adminUrl = options.adminUrl ?? process.env['TEST_DATABASE_URL'] ?? DEFAULT_TEST_DATABASE_URL;
  const name = `${options.prefix ?? 'gw_test'}_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  // template0 accepts no connections, so parallel creates never fail on a busy template1.
  await withAdmin(adminUrl, (c) => c.query(`create database ${quoteIdent(name)} template template0`));
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;

  let dropped: Promise<void> | undefined;
  const temp: TempDatabase = {
    url: url.toString(),
    name,
    drop() {
      dropped ??= withAdmin(adminUrl, async (c) => {
        await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
        // FORCE covers a connection that arrived after the terminate above.
        await c.query(`drop database if exists ${quoteIdent(name)} with (force)`);
      });
      return dropped;
    },
  };

  if (options.migrate) {
    const database = createDatabase({ connectionString: temp.url, poolMax: 1 });
    try {
      await migrateToLatest(database.db);
    } catch (err) {
      await database.close();
      await temp.drop();
      throw err;
    }
    await database.close();
  }
  return temp;
}
