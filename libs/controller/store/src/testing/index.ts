export { createMigratedTempDatabase, type MigratedTempDatabase } from './migrated-temp-database.js';
export {
  createTempDatabase,
  DEFAULT_TEST_DATABASE_URL,
  type TempDatabase,
  type TempDatabaseOptions,
} from './temp-database.js';
