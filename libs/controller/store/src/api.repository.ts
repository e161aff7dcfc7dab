import type { ApiDefinition, StoredApi } from '@gw/api-schema';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { ApiTable } from './api.table.js';
import { CONFIG_CHANNEL, type ConfigState, type DesiredApi } from './api-store.js';
import type { DatabaseSchema } from './schema.js';

// Plain functions over a kysely instance or a transaction (a Transaction is a Kysely), so
// the store composes them into one transaction and tests can call them directly.

export type Executor = Kysely<DatabaseSchema>;
export type ApiRow = Selectable<ApiTable>;

/** Sort by byte order whatever the database's locale, so every replica sees the same order. */
const byName = sql<string>`name collate "C"`;

export function toStoredApi(row: ApiRow & { updated_by?: string | null }): StoredApi {
  return {
    definition: row.definition,
    revision: row.revision,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(typeof row.updated_by === 'string' ? { updatedBy: row.updated_by } : {}),
  };
}

export async function findApi(db: Executor, name: string): Promise<ApiRow | undefined> {
  return db.selectFrom('apis').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Locks the API's row until the transaction ends; undefined when the API does not exist. */
export async function lockApi(trx: Executor, name: string): Promise<{ revision: number } | undefined> {
  return trx.selectFrom('apis').select('revision').where('name', '=', name).forUpdate().executeTakeFirst();
}

/** Every API with the actor of its current revision (`updated_by`, from the revision history). */
export async function listApis(db: Executor): Promise<(ApiRow & { updated_by: string | null })[]> {
  return db
    .selectFrom('apis')
    .leftJoin('api_revisions', (join) => join.onRef('api_revisions.name', '=', 'apis.name').onRef('api_revisions.revision', '=', 'apis.revision'))
    .selectAll('apis')
    .select('api_revisions.actor as updated_by')
    .orderBy(sql`apis.name collate "C"`)
    .execute();
}

export async function listDesiredApis(db: Executor): Promise<DesiredApi[]> {
  return db.selectFrom('apis').select(['definition', 'revision']).orderBy(byName).execute();
}

export async function readConfigState(db: Executor): Promise<ConfigState> {
  const row = await db.selectFrom('config_state').select(['version', 'epoch']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { version: row.version, epoch: row.epoch };
}

/**
 * Bumps the global config version. The row lock this takes orders every writer: a second
 * writer waits here until the first commits, so versions commit in increasing order.
 */
export async function bumpConfigVersion(trx: Executor): Promise<number> {
  const row = await trx
    .updateTable('config_state')
    .set({ version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
    .where('id', '=', 1)
    .returning('version')
    .executeTakeFirstOrThrow();
  return row.version;
}

/** One past the highest revision this name ever had, so a re-created API never reuses one. */
export async function nextRevision(trx: Executor, name: string): Promise<number> {
  const row = await trx
    .selectFrom('api_revisions')
    .select(sql<number>`coalesce(max(revision), 0) + 1`.as('next'))
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row.next;
}

export async function upsertApi(trx: Executor, definition: ApiDefinition, revision: number): Promise<ApiRow> {
  const json = JSON.stringify(definition);
  return trx
    .insertInto('apis')
    .values({ name: definition.name, revision, definition: json })
    .onConflict((oc) => oc.column('name').doUpdateSet({ revision, definition: json, updated_at: sql<Date>`now()` }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Removes the API's current row; returns the revision it had, or undefined if it was absent. */
export async function deleteApiRow(trx: Executor, name: string): Promise<number | undefined> {
  const row = await trx.deleteFrom('apis').where('name', '=', name).returning('revision').executeTakeFirst();
  return row?.revision;
}

export interface RevisionEntry {
  name: string;
  revision: number;
  /** null for a delete. */
  definition: ApiDefinition | null;
  configVersion: number;
  actor: string;
}

export async function insertRevision(trx: Executor, entry: RevisionEntry): Promise<void> {
  await trx
    .insertInto('api_revisions')
    .values({
      name: entry.name,
      revision: entry.revision,
      definition: entry.definition === null ? null : JSON.stringify(entry.definition),
      config_version: entry.configVersion,
      actor: entry.actor,
    })
    .execute();
}

/** Queues the doorbell; PostgreSQL delivers it at commit, and never if the transaction rolls back. */
export async function notifyConfigVersion(trx: Executor, version: number, channel: string = CONFIG_CHANNEL): Promise<void> {
  await sql`select pg_notify(${channel}, ${String(version)})`.execute(trx);
}

export interface RevisionRecord extends RevisionEntry {
  createdAt: string;
}

/** The API's history, oldest first (deletes included, with a null definition). */
export async function listRevisions(db: Executor, name: string): Promise<RevisionRecord[]> {
  const rows = await db.selectFrom('api_revisions').selectAll().where('name', '=', name).orderBy('revision').execute();
  return rows.map((r) => ({
    name: r.name,
    revision: r.revision,
    definition: r.definition,
    configVersion: r.config_version,
    actor: r.actor,
    createdAt: r.created_at.toISOString(),
  }));
}
