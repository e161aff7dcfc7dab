import type { ColumnType, Generated } from 'kysely';

export type AuditAction = 'put' | 'delete' | 'epoch' | 'token_create' | 'token_revoke' | 'apply' | 'rollback';

/**
 * Who changed what, append-only. For `put`/`delete`/`apply`/`rollback` (one `apply` entry per API an apply changed), `api_name` and `revision` name the
 * api_revisions row the write created; an `epoch` entry (a deliberate fleet restore)
 * names no API and records the epoch it set instead; a token entry names the token.
 * `request_id` is the deploy API's X-Request-Id (null for entries older than 0003).
 */
export interface AuditLogTable {
  id: Generated<number>;
  at: ColumnType<Date, Date | string | undefined, never>;
  actor: ColumnType<string, string, never>;
  action: ColumnType<AuditAction, AuditAction, never>;
  api_name: ColumnType<string | null, string | null | undefined, never>;
  revision: ColumnType<number | null, number | null | undefined, never>;
  config_version: ColumnType<number, number, never>;
  epoch: ColumnType<number | null, number | null | undefined, never>;
  request_id: ColumnType<string | null, string | null | undefined, never>;
  token_name: ColumnType<string | null, string | null | undefined, never>;
}
