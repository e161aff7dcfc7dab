// The controller heartbeat over real PostgreSQL: a replica that beats is live on the list,
// one that stopped beating turns stale on the database clock, and the snapshot it compiled
// travels with its row.
import { createControllerHeartbeatStore } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import { waitFor } from '@gw/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControllerHeartbeat, type ControllerHeartbeatOptions } from './controller-heartbeat.js';
import { controllersReport } from './controller-view.js';

let temp: MigratedTempDatabase;
const started: ControllerHeartbeat[] = [];

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_ctl_heartbeat', poolMax: 4 });
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()));
  await temp.database.db.deleteFrom('controller_heartbeats').execute();
});
afterAll(async () => {
  await temp?.dispose();
});

function heartbeat(overrides: Partial<ControllerHeartbeatOptions>): ControllerHeartbeat {
  const h = new ControllerHeartbeat({
    store: createControllerHeartbeatStore(temp.database.db),
    controllerId: 'ctl-1',
    zone: 'a',
    buildVersion: '9.9.9',
    localSnapshot: () => undefined,
    heartbeatMs: 100,
    staleAfterMs: 600,
    retentionMs: 86_400_000,
    ...overrides,
  });
  started.push(h);
  return h;
}

describe('ControllerHeartbeat', () => {
  it('lists every beating replica as live with its snapshot; a stopped one turns stale while the other stays live', async () => {
    let snapshot: { version: number; epoch: number; hash: string } | undefined;
    const one = heartbeat({ controllerId: 'ctl-1', zone: 'a', localSnapshot: () => snapshot });
    const two = heartbeat({ controllerId: 'ctl-2', zone: 'b' });
    one.start();
    two.start();
    const first = await waitFor('both replicas listed', async () => {
      const r = await one.report();
      return r.controllers.length === 2 ? r : undefined;
    });
    expect(first.controllers.map((c) => [c.controllerId, c.zone, c.state, c.self, c.snapshot, c.buildVersion])).toEqual([
      ['ctl-1', 'a', 'live', true, null, '9.9.9'],
      ['ctl-2', 'b', 'live', false, null, '9.9.9'],
    ]);

    snapshot = { version: 3, epoch: 1, hash: 'h3' };
    await waitFor('the compiled snapshot on the row', async () => (await two.report()).controllers.find((c) => c.controllerId === 'ctl-1')?.snapshot?.version === 3);

    await one.stop();
    const after = await waitFor(
      'ctl-1 stale',
      async () => {
        const r = await two.report();
        return r.controllers.find((c) => c.controllerId === 'ctl-1')?.stale ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(after.controllers.map((c) => [c.controllerId, c.state, c.self])).toEqual([
      ['ctl-1', 'stale', false],
      ['ctl-2', 'live', true],
    ]);
  });

  it('keeps beating after a failed write, and the retention sweep drops rows not seen for that long', async () => {
    await temp.database.db
      .insertInto('controller_heartbeats')
      .values({ controller_id: 'long-gone', zone: 'z', started_at: new Date(0), last_seen_at: new Date(Date.now() - 7_200_000), build_version: '', config_version: null, config_epoch: null, config_hash: null })
      .execute();
    let fail = true;
    const store = createControllerHeartbeatStore(temp.database.db);
    const h = heartbeat({
      retentionMs: 3_600_000,
      store: { ...store, beat: (r) => (fail ? Promise.reject(new Error('database unavailable')) : store.beat(r)) },
    });
    await h.beat();
    expect((await h.report()).controllers.map((c) => c.controllerId)).toEqual(['long-gone']);
    fail = false;
    await h.beat();
    expect((await h.report()).controllers.map((c) => c.controllerId)).toEqual(['ctl-1']);
  });
});

describe('controllersReport', () => {
  it('judges staleness on the database clock with the runtimes threshold', () => {
    const now = new Date('2030-01-01T00:01:00.000Z');
    const row = (id: string, seenMsAgo: number) => ({
      controllerId: id,
      zone: 'a',
      startedAt: new Date('2030-01-01T00:00:00.000Z'),
      lastSeenAt: new Date(now.getTime() - seenMsAgo),
      snapshot: null,
      buildVersion: '',
    });
    const report = controllersReport({ now, controllers: [row('fresh', 15_000), row('late', 15_001)] }, { staleAfterMs: 15_000, selfId: 'fresh' });
    expect(report.controllers.map((c) => [c.controllerId, c.state, c.stale, c.self])).toEqual([
      ['fresh', 'live', false, true],
      ['late', 'stale', true, false],
    ]);
    expect(report.checkedAt).toBe(now.toISOString());
  });
});
