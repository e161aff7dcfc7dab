import { createDatabase, type Database } from '../database.js';
import { createTempDatabase, type TempDatabase, type TempDatabaseOptions } from './temp-database.js';

export interface MigratedTempDatabase {
  temp: TempDatabase;
  /** A pool over the migrated temp database. */
  database: Database;
  /** Closes the pool, then drops the database. */
  dispose(): Promise<void>;
}

/** A temp database with the store's migrations applied and a pool over it (`poolMax` as createDatabase takes it). */
export async function createMigratedTempDatabase(options: Omit<TempDatabaseOptions, 'migrate'> & { poolMax?: number } = {}): Promise<MigratedTempDatabase> {
  const { poolMax, ...tempOptions } = options;
  const temp = await createTempDatabase({ ...tempOptions, migrate: true });
  const database = createDatabase({ connectionString: temp.url, ...(poolMax === undefined ? {} : { poolMax }) });
  return {
    temp,
    database,
    async dispose() {
      await database.close();
      await temp.drop();
    },
  };
}
