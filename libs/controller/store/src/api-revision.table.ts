import type { ApiDefinition } from '@gw/api-schema';
import type { ColumnType } from 'kysely';

/** Immutable history: one row per write of an API, a NULL definition for a delete. */
export interface ApiRevisionTable {
  name: ColumnType<string, string, never>;
  revision: ColumnType<number, number, never>;
  definition: ColumnType<ApiDefinition | null, string | null, never>;
  config_version: ColumnType<number, number, never>;
  actor: ColumnType<string, string, never>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}
