import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createMigratedTempDatabase } from './migrated-temp-database.js';

describe('createMigratedTempDatabase', () => {
  it('opens a pool over a migrated temp database, and dispose closes it and drops the database', async () => {
    const { temp, database, dispose } = await createMigratedTempDatabase({ prefix: 'gw_test_migrated' });
    try {
      expect(temp.name).toMatch(/^gw_test_migrated_/);
      const { rows } = await sql<{ version: number; epoch: number }>`select version, epoch from config_state`.execute(database.db);
      expect(rows).toEqual([{ version: 0, epoch: 1 }]);
    } finally {
      await dispose();
    }
    const client = new pg.Client({ connectionString: temp.url });
    // 3D000: invalid_catalog_name, the database does not exist any more.
    await expect(client.connect()).rejects.toMatchObject({ code: '3D000' });
  });
});
