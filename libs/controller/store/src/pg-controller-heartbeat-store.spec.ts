import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ControllerHeartbeatRecord, ControllerHeartbeatStore } from './controller-heartbeat-store.js';
import type { Database } from './database.js';
import { createControllerHeartbeatStore } from './pg-controller-heartbeat-store.js';
import { createMigratedTempDatabase, type TempDatabase } from './testing/index.js';

const STARTED = new Date('2030-01-01T00:00:00.000Z');

function record(overrides: Partial<ControllerHeartbeatRecord> = {}): ControllerHeartbeatRecord {
  return { controllerId: 'ctl-1', zone: 'a', startedAt: STARTED, snapshot: undefined, buildVersion: '1.2.3', ...overrides };
}

let temp: TempDatabase;
let database: Database;
let store: ControllerHeartbeatStore;

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase());
  store = createControllerHeartbeatStore(database.db);
});
afterAll(async () => {
  await database?.close();
  await temp?.drop();
});
beforeEach(async () => {
  await database.db.deleteFrom('controller_heartbeats').execute();
});

describe('createControllerHeartbeatStore (PostgreSQL)', () => {
  it('upserts one row per replica, seen at the database clock, with the snapshot it compiled', async () => {
    await store.beat(record());
    await store.beat(record({ controllerId: 'ctl-0', zone: 'b' }));
    const first = await store.list();
    expect(first.controllers.map((c) => [c.controllerId, c.zone, c.snapshot])).toEqual([
      ['ctl-1', 'a', null],
      ['ctl-0', 'b', null],
    ]);
    expect(first.controllers[0]).toMatchObject({ startedAt: STARTED, buildVersion: '1.2.3' });
    expect(first.controllers[0]!.lastSeenAt.getTime()).toBeLessThanOrEqual(first.now.getTime());

    const snapshot = { version: 4, epoch: 2, hash: 'h4' };
    await store.beat(record({ snapshot }));
    const second = await store.list();
    expect(second.controllers).toHaveLength(2);
    const ctl1 = second.controllers.find((c) => c.controllerId === 'ctl-1')!;
    expect(ctl1.snapshot).toEqual(snapshot);
    expect(ctl1.lastSeenAt.getTime()).toBeGreaterThanOrEqual(first.controllers[0]!.lastSeenAt.getTime());
  });

  it('forgets replicas not seen within the retention time, and only those', async () => {
    await store.beat(record({ controllerId: 'old' }));
    await store.beat(record({ controllerId: 'new' }));
    await sql`update controller_heartbeats set last_seen_at = now() - interval '2 hours' where controller_id = 'old'`.execute(database.db);
    expect(await store.forget(3_600_000)).toBe(1);
    expect((await store.list()).controllers.map((c) => c.controllerId)).toEqual(['new']);
  });
});
