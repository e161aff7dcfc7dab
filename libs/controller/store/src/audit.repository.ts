import type { Selectable } from 'kysely';
import type { AuditAction, AuditLogTable } from './audit-log.table.js';
import type { Executor } from './api.repository.js';

/** Who asked for a change: every write takes one and records it with the change. */
export interface AuditContext {
  /** The token name (`admin` for the bootstrap token, `anonymous` with auth disabled). */
  actor: string;
  /** The deploy API's X-Request-Id, so an entry can be matched with logs and the caller's response. */
  requestId?: string | undefined;
}

/** What an entry is about: an API revision, the fleet epoch, or a token. */
export type AuditSubject =
  | { action: 'put' | 'delete' | 'apply' | 'rollback'; apiName: string; revision: number }
  | { action: 'epoch'; epoch: number }
  | { action: 'token_create' | 'token_revoke'; tokenName: string };

/** One audit entry: the change, who made it, and the config version it produced (or the current one). */
export type AuditEntry = AuditContext & AuditSubject & { configVersion: number };

/**
 * Appends one audit entry. Call it inside the transaction that makes the change, so the
 * entry commits with the change or not at all.
 */
export async function recordAudit(trx: Executor, entry: AuditEntry): Promise<void> {
  await recordAudits(trx, [entry]);
}

/** Rows per INSERT: far below PostgreSQL's 65 535 bind parameters (8 per row). */
const AUDIT_BATCH = 1000;

/** Appends several entries (an apply: one per API it changed), batched; same rule as `recordAudit`. */
export async function recordAudits(trx: Executor, entries: readonly AuditEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += AUDIT_BATCH) {
    await trx
      .insertInto('audit_log')
      .values(
        entries.slice(i, i + AUDIT_BATCH).map((entry) => ({
          actor: entry.actor,
          action: entry.action,
          config_version: entry.configVersion,
          request_id: entry.requestId ?? null,
          api_name: 'apiName' in entry ? entry.apiName : null,
          revision: 'revision' in entry ? entry.revision : null,
          epoch: 'epoch' in entry ? entry.epoch : null,
          token_name: 'tokenName' in entry ? entry.tokenName : null,
        })),
      )
      .execute();
  }
}

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  action: AuditAction;
  /** null unless the entry is about an API. */
  apiName: string | null;
  /** null unless the entry is about an API. */
  revision: number | null;
  configVersion: number;
  /** The epoch an `epoch` entry set; null otherwise. */
  epoch: number | null;
  /** The token a token entry created or revoked; null otherwise. */
  tokenName: string | null;
  requestId: string | null;
}

/** A page of the audit log, newest first. */
export interface AuditQuery {
  api?: string;
  actor?: string;
  /** Entries at or after this time. */
  since?: Date;
  /** Entries with a smaller id than this (the previous page's last id). */
  beforeId?: number;
  limit: number;
}

const COLUMNS = ['id', 'at', 'actor', 'action', 'api_name', 'revision', 'config_version', 'epoch', 'token_name', 'request_id'] as const;

/** A selected row, derived from the table so a column change cannot drift from it. */
type AuditRow = Pick<Selectable<AuditLogTable>, (typeof COLUMNS)[number]>;

function toAuditRecord(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    apiName: r.api_name,
    revision: r.revision,
    configVersion: r.config_version,
    epoch: r.epoch,
    tokenName: r.token_name,
    requestId: r.request_id,
  };
}

/** Audit entries newest first (ids grow with commit order of the inserts). */
export async function queryAudit(db: Executor, query: AuditQuery): Promise<AuditRecord[]> {
  let q = db.selectFrom('audit_log').select(COLUMNS).orderBy('id', 'desc').limit(query.limit);
  if (query.api !== undefined) q = q.where('api_name', '=', query.api);
  if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
  if (query.since !== undefined) q = q.where('at', '>=', query.since);
  if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
  return (await q.execute()).map(toAuditRecord);
}

/** Every audit entry oldest first, optionally for one API (tests and tools). */
export async function listAudit(db: Executor, apiName?: string): Promise<AuditRecord[]> {
  let q = db.selectFrom('audit_log').select(COLUMNS).orderBy('id');
  if (apiName !== undefined) q = q.where('api_name', '=', apiName);
  return (await q.execute()).map(toAuditRecord);
}
