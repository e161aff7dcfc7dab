import type { ColumnType, Generated } from 'kysely';

export type AuditAction = 'put' | 'delete';

/** Who changed what, append-only. `revision` is the api_revisions row the write created. */
export interface AuditLogTable {
  id: Generated<number>;
  at: ColumnType<Date, Date | string | undefined, never>;
  actor: ColumnType<string, string, never>;
  action: ColumnType<AuditAction, AuditAction, never>;
  api_name: ColumnType<string, string, never>;
  revision: ColumnType<number, number, never>;
  config_version: ColumnType<number, number, never>;
}
