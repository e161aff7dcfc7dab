export {
  createTempDatabase,
  DEFAULT_TEST_DATABASE_URL,
  type TempDatabase,
  type TempDatabaseOptions,
} from './temp-database.js';
