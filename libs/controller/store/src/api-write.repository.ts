import type { ApiDefinition } from '@gw/api-schema';
import { sql } from 'kysely';
import type { Executor } from './api.repository.js';
import { CONFIG_CHANNEL } from './api-store.js';
import type { AuditContext } from './audit.repository.js';

/**
 * What a single-API write depends on, read before the writers' lock (see createApiStore):
 * the API's current revision, the highest revision the name ever had (every write to the
 * name raises it: put, delete, rollback, apply), and the APIs that share the base path
 * (the only ones that can claim the same route), each stamped with its row version.
 */
export interface WriteBasis {
  /** The API's current revision; undefined when it does not exist. */
  currentRevision: number | undefined;
  /** The highest revision in the name's history (0 for a name never written). */
  lastRevision: number;
  /** The other APIs with the same base path (route-conflict candidates). */
  neighbours: ApiDefinition[];
  /** Their names and row versions, as `commitApiWrite` re-reads them under the lock. */
  neighbourStamps: string;
}

/** The neighbours' fingerprint, computed the same way by the read and by the re-check. */
const neighbourStamps = (name: string, basePath: string | undefined) =>
  basePath === undefined
    ? sql<string>`''`
    : sql<string>`(select coalesce(string_agg(n.name || ':' || n.xmin::text, ',' order by n.name collate "C"), '') from apis n where n.name <> ${name} and n.definition->>'basePath' = ${basePath})`;

/** One statement, no lock: the basis of a write to `name` (with `basePath` for a put). */
export async function readWriteBasis(db: Executor, name: string, basePath?: string): Promise<WriteBasis> {
  const { rows } = await sql<{ current_revision: number | null; last_revision: number; neighbour_stamps: string; neighbours: ApiDefinition[] | null }>`
    select
      (select revision from apis where name = ${name}) as current_revision,
      (select coalesce(max(revision), 0) from api_revisions where name = ${name}) as last_revision,
      ${neighbourStamps(name, basePath)} as neighbour_stamps,
      ${basePath === undefined ? sql`null` : sql`(select json_agg(n.definition) from apis n where n.name <> ${name} and n.definition->>'basePath' = ${basePath})`} as neighbours
  `.execute(db);
  const row = rows[0]!;
  return { currentRevision: row.current_revision ?? undefined, lastRevision: row.last_revision, neighbours: row.neighbours ?? [], neighbourStamps: row.neighbour_stamps };
}

export interface ApiWrite extends AuditContext {
  name: string;
  /** The sealed definition to store; null deletes the API (a tombstone revision). */
  definition: ApiDefinition | null;
  action: 'put' | 'delete' | 'rollback';
  /** The basis the decision was made on; the write happens only if it still holds. */
  basis: WriteBasis;
}

/** Marks a statement whose answer is its own commit (see database-deadline.ts). */
export const COMMITS_MARKER = '/* gw:commits */';

export interface WrittenApi {
  configVersion: number;
  revision: number;
  /** null after a delete. */
  createdAt: Date | null;
  updatedAt: Date | null;
}

/**
 * The whole write in one statement (the gw_write_api function, migration 0007): takes the
 * writers' lock, re-checks the basis, bumps the version, writes the row, the revision and
 * the audit entry, and queues the notification. Undefined, having written nothing, when
 * the basis moved. On a pooled connection outside a transaction (`autocommit`), the
 * statement is its own transaction: its answer comes after the commit, so it carries
 * COMMITS_MARKER for the client-side deadline.
 */
export async function writeApi(db: Executor, w: ApiWrite, autocommit: boolean): Promise<WrittenApi | undefined> {
  const json = w.definition === null ? null : JSON.stringify(w.definition);
  const basePath = w.definition?.basePath ?? null;
  const marker = sql.raw(autocommit ? COMMITS_MARKER : '');
  const { rows } = await sql<{ out_version: number; out_revision: number; out_created_at: Date | null; out_updated_at: Date | null }>`${marker} select * from gw_write_api(
    ${w.name}, ${json}::jsonb, ${w.action}, ${w.actor}, ${w.requestId ?? null},
    ${w.basis.lastRevision}::integer, ${basePath}, ${basePath === null ? '' : w.basis.neighbourStamps}, ${CONFIG_CHANNEL}
  )`.execute(db);
  const row = rows[0];
  return row === undefined ? undefined : { configVersion: row.out_version, revision: row.out_revision, createdAt: row.out_created_at, updatedAt: row.out_updated_at };
}
