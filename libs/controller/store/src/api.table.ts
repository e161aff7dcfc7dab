import type { ApiDefinition } from '@gw/api-schema';
import type { ColumnType } from 'kysely';

/** The current definition of each API; a delete removes its row (history stays in api_revisions). */
export interface ApiTable {
  name: string;
  revision: number;
  /** Read back parsed by pg; written as a JSON string cast to jsonb. */
  definition: ColumnType<ApiDefinition, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
