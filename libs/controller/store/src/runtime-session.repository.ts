import { type Selectable, sql } from 'kysely';
import type { Executor } from './api.repository.js';
import type { ConfigState } from './api-store.js';
import type { RuntimeSessionRecord, RuntimeSessionRow } from './fleet-store.js';
import type { RuntimeSessionTable } from './runtime-session.table.js';

// Plain functions over a kysely instance or a transaction, like api.repository.ts.

/** Rows per upsert statement: 20 parameters each keeps a batch far below PostgreSQL's 65535. */
export const SESSION_BATCH_SIZE = 500;

const byRuntime = sql`runtime_id collate "C"`;
const byZone = sql`zone collate "C"`;

export function toRuntimeSessionRow(r: Selectable<RuntimeSessionTable>): RuntimeSessionRow {
  const nacked = r.last_nack_at !== null && r.last_nack_version !== null && r.last_nack_epoch !== null;
  return {
    runtimeId: r.runtime_id,
    sessionId: r.session_id,
    zone: r.zone,
    controllerId: r.controller_id,
    buildVersion: r.build_version,
    peer: r.peer,
    connected: r.connected,
    connectedAt: r.connected_at,
    lastSeenAt: r.last_seen_at,
    disconnectedAt: r.disconnected_at,
    applied: { version: r.applied_version, epoch: r.applied_epoch, hash: r.applied_hash },
    lastNack: nacked
      ? { version: r.last_nack_version!, epoch: r.last_nack_epoch!, code: r.last_nack_code ?? '', message: r.last_nack_message ?? '', at: r.last_nack_at! }
      : null,
    identity: r.identity,
    certificateNotAfter: r.certificate_not_after,
  };
}

/**
 * Upserts one batch (each runtime at most once). Ownership rule, in the WHERE of the
 * conflict update:
 * - the row's own session may always update it (ACKs, NACKs, heartbeats, its close);
 * - a connected record takes the row over when the row's session is closed, opened
 *   earlier, or not seen for `takeOverAfterMs` (its replica died without a close);
 * - anything else is a late write from a replica the runtime has left and changes nothing.
 * The newest NACK is kept: a record without one never erases the runtime's history.
 */
export async function upsertRuntimeSessions(db: Executor, records: readonly RuntimeSessionRecord[], takeOverAfterMs: number): Promise<number> {
  if (records.length === 0) return 0;
  const staleSeconds = Math.max(0, takeOverAfterMs) / 1000;
  const result = await db
    .insertInto('runtime_sessions')
    .values(
      records.map((r) => ({
        runtime_id: r.runtimeId,
        session_id: r.sessionId,
        zone: r.zone,
        controller_id: r.controllerId,
        connected: r.connected,
        applied_version: r.applied.version,
        applied_epoch: r.applied.epoch,
        applied_hash: r.applied.hash,
        last_nack_version: r.lastNack?.version ?? null,
        last_nack_epoch: r.lastNack?.epoch ?? null,
        last_nack_code: r.lastNack?.code ?? null,
        last_nack_message: r.lastNack?.message ?? null,
        last_nack_at: r.lastNack?.at ?? null,
        build_version: r.buildVersion,
        peer: r.peer,
        connected_at: r.connectedAt,
        // Live sessions are seen "now" on the database's clock; a closed one when it closed.
        last_seen_at: r.connected || r.disconnectedAt === undefined ? sql<Date>`now()` : r.disconnectedAt,
        disconnected_at: r.connected ? null : (r.disconnectedAt ?? sql<Date>`now()`),
        identity: r.identity ?? null,
        certificate_not_after: r.certificateNotAfter ?? null,
      })),
    )
    .onConflict((oc) =>
      oc
        .column('runtime_id')
        .doUpdateSet((eb) => ({
          session_id: eb.ref('excluded.session_id'),
          zone: eb.ref('excluded.zone'),
          controller_id: eb.ref('excluded.controller_id'),
          connected: eb.ref('excluded.connected'),
          applied_version: eb.ref('excluded.applied_version'),
          applied_epoch: eb.ref('excluded.applied_epoch'),
          applied_hash: eb.ref('excluded.applied_hash'),
          build_version: eb.ref('excluded.build_version'),
          peer: eb.ref('excluded.peer'),
          connected_at: eb.ref('excluded.connected_at'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
          disconnected_at: eb.ref('excluded.disconnected_at'),
          identity: eb.ref('excluded.identity'),
          certificate_not_after: eb.ref('excluded.certificate_not_after'),
          last_nack_version: sql<number | null>`case when ${newerNack()} then excluded.last_nack_version else runtime_sessions.last_nack_version end`,
          last_nack_epoch: sql<number | null>`case when ${newerNack()} then excluded.last_nack_epoch else runtime_sessions.last_nack_epoch end`,
          last_nack_code: sql<string | null>`case when ${newerNack()} then excluded.last_nack_code else runtime_sessions.last_nack_code end`,
          last_nack_message: sql<string | null>`case when ${newerNack()} then excluded.last_nack_message else runtime_sessions.last_nack_message end`,
          last_nack_at: sql<Date | null>`case when ${newerNack()} then excluded.last_nack_at else runtime_sessions.last_nack_at end`,
        }))
        .where(
          sql<boolean>`runtime_sessions.session_id = excluded.session_id
            or (excluded.connected and (
              not runtime_sessions.connected
              or runtime_sessions.connected_at < excluded.connected_at
              or runtime_sessions.last_seen_at < now() - make_interval(secs => ${staleSeconds})
            ))`,
        ),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

function newerNack() {
  return sql`excluded.last_nack_at is not null and (runtime_sessions.last_nack_at is null or excluded.last_nack_at >= runtime_sessions.last_nack_at)`;
}

/** The (epoch, version) of the runtime's recorded last NACK, whichever replica wrote it. */
export async function readLastNack(db: Executor, runtimeId: string): Promise<{ epoch: number; version: number } | undefined> {
  const row = await db
    .selectFrom('runtime_sessions')
    .select(['last_nack_epoch', 'last_nack_version'])
    .where('runtime_id', '=', runtimeId)
    .executeTakeFirst();
  if (row === undefined || row.last_nack_epoch === null || row.last_nack_version === null) return undefined;
  return { epoch: row.last_nack_epoch, version: row.last_nack_version };
}

/** The last NACKs of these runtimes (those without one are absent): one statement for a batch of recalls. */
export async function readLastNacks(db: Executor, runtimeIds: readonly string[]): Promise<Map<string, { epoch: number; version: number }>> {
  const out = new Map<string, { epoch: number; version: number }>();
  if (runtimeIds.length === 0) return out;
  const rows = await db
    .selectFrom('runtime_sessions')
    .select(['runtime_id', 'last_nack_epoch', 'last_nack_version'])
    .where('runtime_id', 'in', [...runtimeIds])
    .where('last_nack_version', 'is not', null)
    .execute();
  for (const row of rows) {
    if (row.last_nack_epoch !== null && row.last_nack_version !== null) out.set(row.runtime_id, { epoch: row.last_nack_epoch, version: row.last_nack_version });
  }
  return out;
}

export async function listRuntimeSessions(db: Executor): Promise<RuntimeSessionRow[]> {
  const rows = await db.selectFrom('runtime_sessions').selectAll().orderBy(byZone).orderBy(byRuntime).execute();
  return rows.map(toRuntimeSessionRow);
}

export async function databaseNow(db: Executor): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
  return rows[0]!.now;
}

/** Deletes runtimes whose last sign of life is older than `olderThanMs`. */
export async function deleteRuntimesNotSeenFor(db: Executor, olderThanMs: number): Promise<number> {
  const result = await db
    .deleteFrom('runtime_sessions')
    .where(sql<boolean>`last_seen_at < now() - make_interval(secs => ${Math.max(0, olderThanMs) / 1000})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Bumps epoch and version together. The new version is one above both the current one
 * and the highest version any recorded runtime applied: after a backup is restored the
 * version row is older than what the fleet ran, and the change feeds of running replicas
 * only react to versions above the ones they saw. With `expectedEpoch`, nothing changes
 * (undefined) unless the epoch is still that one.
 */
export async function bumpEpochAndVersion(trx: Executor, expectedEpoch?: number): Promise<ConfigState | undefined> {
  let query = trx
    .updateTable('config_state')
    .set({
      epoch: sql<number>`epoch + 1`,
      version: sql<number>`greatest(version, (select coalesce(max(applied_version), 0) from runtime_sessions)) + 1`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', 1);
  if (expectedEpoch !== undefined) query = query.where('epoch', '=', expectedEpoch);
  const row = await query.returning(['version', 'epoch']).executeTakeFirst();
  return row === undefined ? undefined : { version: row.version, epoch: row.epoch };
}
