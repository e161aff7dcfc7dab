import type { ApiDefinition, StoredApi } from '@gw/api-schema';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { ApiTable } from './api.table.js';
import { CONFIG_CHANNEL, type ApiListPage, type ConfigState, type DesiredApi } from './api-store.js';
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

/** Every API (or one page: names after `after` in byte order, at most `limit`) with the actor of its current revision (`updated_by`, from the revision history). */
export async function listApis(db: Executor, page: ApiListPage = {}): Promise<(ApiRow & { updated_by: string | null })[]> {
  let query = db
    .selectFrom('apis')
    .leftJoin('api_revisions', (join) => join.onRef('api_revisions.name', '=', 'apis.name').onRef('api_revisions.revision', '=', 'apis.revision'))
    .selectAll('apis')
    .select('api_revisions.actor as updated_by')
    .orderBy(sql`apis.name collate "C"`);
  if (page.after !== undefined) query = query.where(sql<string>`apis.name collate "C"`, '>', page.after);
  if (page.limit !== undefined) query = query.limit(page.limit);
  return query.execute();
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

// Batched forms for `POST /v1/apply`: thousands of APIs in one transaction, a handful of
// statements rather than one per API. Rows per statement stay far below PostgreSQL's
// 65 535 bind parameters.
const BATCH = 1000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

/**
 * Takes the writers' lock (the config_state row, the same lock `bumpConfigVersion` takes)
 * without bumping: a write that may turn out to change nothing (an apply, a rollback)
 * locks first and bumps only if it does change something.
 */
export async function lockConfigState(trx: Executor): Promise<ConfigState> {
  const row = await trx.selectFrom('config_state').select(['version', 'epoch']).where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
  return { version: row.version, epoch: row.epoch };
}

/** `nextRevision` for many names at once. */
export async function nextRevisions(trx: Executor, names: readonly string[]): Promise<Map<string, number>> {
  const next = new Map<string, number>(names.map((n) => [n, 1]));
  for (const part of chunks(names)) {
    const rows = await trx
      .selectFrom('api_revisions')
      .select(['name', sql<number>`max(revision) + 1`.as('next')])
      .where('name', 'in', part)
      .groupBy('name')
      .execute();
    for (const r of rows) next.set(r.name, r.next);
  }
  return next;
}

/** `upsertApi` for many definitions at once (already sealed). */
export async function upsertApis(trx: Executor, rows: readonly { definition: ApiDefinition; revision: number }[]): Promise<void> {
  for (const part of chunks(rows)) {
    await trx
      .insertInto('apis')
      .values(part.map((r) => ({ name: r.definition.name, revision: r.revision, definition: JSON.stringify(r.definition) })))
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({ revision: (eb) => eb.ref('excluded.revision'), definition: (eb) => eb.ref('excluded.definition'), updated_at: sql<Date>`now()` }),
      )
      .execute();
  }
}

export async function deleteApiRows(trx: Executor, names: readonly string[]): Promise<void> {
  for (const part of chunks(names)) await trx.deleteFrom('apis').where('name', 'in', part).execute();
}

export async function insertRevisions(trx: Executor, entries: readonly RevisionEntry[]): Promise<void> {
  for (const part of chunks(entries)) {
    await trx
      .insertInto('api_revisions')
      .values(
        part.map((e) => ({
          name: e.name,
          revision: e.revision,
          definition: e.definition === null ? null : JSON.stringify(e.definition),
          config_version: e.configVersion,
          actor: e.actor,
        })),
      )
      .execute();
  }
}

type RevisionRow = { name: string; revision: number; definition: ApiDefinition | null; config_version: number; actor: string; created_at: Date };

function toRevisionRecord(r: RevisionRow): RevisionRecord {
  return { name: r.name, revision: r.revision, definition: r.definition, configVersion: r.config_version, actor: r.actor, createdAt: r.created_at.toISOString() };
}

/** One entry of an API's history without its definition: what the history list shows. */
export interface RevisionSummary {
  name: string;
  revision: number;
  configVersion: number;
  actor: string;
  createdAt: string;
  /** A delete (a tombstone, no definition). */
  deleted: boolean;
}

/** A page of the API's history, newest first: at most `limit` revisions below `beforeRevision`. Definitions are not read. */
export async function pageRevisions(db: Executor, name: string, page: { limit: number; beforeRevision?: number }): Promise<RevisionSummary[]> {
  let q = db
    .selectFrom('api_revisions')
    .select(['name', 'revision', 'config_version', 'actor', 'created_at', sql<boolean>`definition is null`.as('deleted')])
    .where('name', '=', name)
    .orderBy('revision', 'desc')
    .limit(page.limit);
  if (page.beforeRevision !== undefined) q = q.where('revision', '<', page.beforeRevision);
  return (await q.execute()).map((r) => ({ name: r.name, revision: r.revision, configVersion: r.config_version, actor: r.actor, createdAt: r.created_at.toISOString(), deleted: r.deleted }));
}

export async function findRevision(db: Executor, name: string, revision: number): Promise<RevisionRecord | undefined> {
  const row = await db.selectFrom('api_revisions').selectAll().where('name', '=', name).where('revision', '=', revision).executeTakeFirst();
  return row === undefined ? undefined : toRevisionRecord(row);
}
