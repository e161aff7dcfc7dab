import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTempDatabase } from './temp-database.js';

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    return rows.length === 1;
  } finally {
    await admin.end();
  }
}

describe('createTempDatabase', () => {
  it('creates a fresh database and drops it even while a client is still connected', async () => {
    const temp = await createTempDatabase();
    expect(await databaseExists(temp.name)).toBe(true);
    const straggler = new pg.Client({ connectionString: temp.url });
    straggler.on('error', () => undefined);
    await straggler.connect();
    const { rows } = await straggler.query<{ db: string }>('select current_database() as db');
    expect(rows[0]?.db).toBe(temp.name);

    await temp.drop();
    await temp.drop();
    expect(await databaseExists(temp.name)).toBe(false);
    await straggler.end().catch(() => undefined);
  });

  it('can migrate the new database', async () => {
    const temp = await createTempDatabase({ migrate: true });
    try {
      const client = new pg.Client({ connectionString: temp.url });
      await client.connect();
      try {
        const { rows } = await client.query('select version::int as version, epoch::int as epoch from config_state');
        expect(rows).toEqual([{ version: 0, epoch: 1 }]);
      } finally {
        await client.end();
      }
    } finally {
      await temp.drop();
    }
  });
});
