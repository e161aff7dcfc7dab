import { type Selectable, sql } from 'kysely';
import type { Executor } from './api.repository.js';
import type { ControllerHeartbeatRecord, ControllerHeartbeatRow } from './controller-heartbeat-store.js';
import type { ControllerHeartbeatTable } from './controller-heartbeat.table.js';

// Plain functions over a kysely instance or a transaction, like api.repository.ts.

export function toControllerHeartbeatRow(r: Selectable<ControllerHeartbeatTable>): ControllerHeartbeatRow {
  const compiled = r.config_version !== null && r.config_epoch !== null && r.config_hash !== null;
  return {
    controllerId: r.controller_id,
    zone: r.zone,
    startedAt: r.started_at,
    lastSeenAt: r.last_seen_at,
    snapshot: compiled ? { version: r.config_version!, epoch: r.config_epoch!, hash: r.config_hash! } : null,
    buildVersion: r.build_version,
  };
}

export async function upsertControllerHeartbeat(db: Executor, r: ControllerHeartbeatRecord): Promise<void> {
  const values = {
    controller_id: r.controllerId,
    zone: r.zone,
    started_at: r.startedAt,
    last_seen_at: sql<Date>`now()`,
    config_version: r.snapshot?.version ?? null,
    config_epoch: r.snapshot?.epoch ?? null,
    config_hash: r.snapshot?.hash ?? null,
    build_version: r.buildVersion,
  };
  await db
    .insertInto('controller_heartbeats')
    .values(values)
    .onConflict((oc) => oc.column('controller_id').doUpdateSet(values))
    .execute();
}

export async function listControllerHeartbeats(db: Executor): Promise<ControllerHeartbeatRow[]> {
  const rows = await db
    .selectFrom('controller_heartbeats')
    .selectAll()
    .orderBy(sql`zone collate "C"`)
    .orderBy(sql`controller_id collate "C"`)
    .execute();
  return rows.map(toControllerHeartbeatRow);
}

export async function deleteControllersNotSeenFor(db: Executor, olderThanMs: number): Promise<number> {
  const result = await db
    .deleteFrom('controller_heartbeats')
    .where(sql<boolean>`last_seen_at < now() - make_interval(secs => ${Math.max(0, olderThanMs) / 1000})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
