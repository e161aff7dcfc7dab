import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { listAudit } from './audit.repository.js';
import { CONFIG_CHANNEL } from './api-store.js';
import { createDatabase, type Database } from './database.js';
import type { FleetStore, RuntimeSessionRecord } from './fleet-store.js';
import { createApiStore } from './pg-api-store.js';
import { createFleetStore } from './pg-fleet-store.js';
import { createMigratedTempDatabase, type TempDatabase } from './testing/index.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const TAKE_OVER = { takeOverAfterMs: 15_000 };

function record(overrides: Partial<RuntimeSessionRecord> = {}): RuntimeSessionRecord {
  return {
    runtimeId: 'rt-1',
    sessionId: 'ctl-1/boot/1',
    zone: 'a',
    controllerId: 'ctl-1',
    buildVersion: '1.0.0',
    peer: 'ipv4:127.0.0.1:50000',
    connected: true,
    connectedAt: at(0),
    disconnectedAt: undefined,
    applied: { version: 3, epoch: 1, hash: 'h3' },
    lastNack: undefined,
    ...overrides,
  };
}

let temp: TempDatabase;
let database: Database;
let fleet: FleetStore;

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase());
  fleet = createFleetStore(database.db);
});
afterAll(async () => {
  await database?.close();
  await temp?.drop();
});
beforeEach(async () => {
  await database.db.deleteFrom('runtime_sessions').execute();
});

async function row(runtimeId = 'rt-1') {
  return (await fleet.readFleet()).runtimes.find((r) => r.runtimeId === runtimeId);
}

describe('createFleetStore (PostgreSQL)', () => {
  it('records the certificate identity and expiry, and a newer session with another certificate replaces them', async () => {
    const identity = 'spiffe://gateway/runtime/rt-1';
    await fleet.recordSessions([record({ identity, certificateNotAfter: at(1_000) })], TAKE_OVER);
    expect(await row()).toMatchObject({ identity, certificateNotAfter: at(1_000) });
    await fleet.recordSessions([record({ sessionId: 'ctl-1/boot/2', connectedAt: at(10), identity, certificateNotAfter: at(2_000) })], TAKE_OVER);
    expect(await row()).toMatchObject({ identity, certificateNotAfter: at(2_000) });
  });

  it('records a session and reads it back with the config state and the database clock', async () => {
    expect(await fleet.recordSessions([record()], TAKE_OVER)).toBe(1);
    const state = await fleet.readFleet();
    expect(state.config).toEqual({ version: 0, epoch: 1 });
    expect(Math.abs(state.now.getTime() - Date.now())).toBeLessThan(60_000);
    expect(state.runtimes).toEqual([
      {
        runtimeId: 'rt-1',
        sessionId: 'ctl-1/boot/1',
        zone: 'a',
        controllerId: 'ctl-1',
        buildVersion: '1.0.0',
        peer: 'ipv4:127.0.0.1:50000',
        connected: true,
        connectedAt: at(0),
        lastSeenAt: expect.any(Date),
        disconnectedAt: null,
        applied: { version: 3, epoch: 1, hash: 'h3' },
        lastNack: null,
        identity: null,
        certificateNotAfter: null,
      },
    ]);
    // A live session is "seen" on the database's clock, not the replica's.
    expect(state.runtimes[0]!.lastSeenAt.getTime()).toBeLessThanOrEqual(state.now.getTime());
  });

  it('lists runtimes by zone, then id, in byte order', async () => {
    await fleet.recordSessions(
      [record({ runtimeId: 'b', zone: 'z' }), record({ runtimeId: 'B', zone: 'z' }), record({ runtimeId: 'a', zone: 'z' }), record({ runtimeId: 'q', zone: 'A' })],
      TAKE_OVER,
    );
    expect((await fleet.readFleet()).runtimes.map((r) => `${r.zone}/${r.runtimeId}`)).toEqual(['A/q', 'z/B', 'z/a', 'z/b']);
  });

  it('ignores a late close from the replica a runtime has left, and honours the owner\'s close', async () => {
    await fleet.recordSessions([record()], TAKE_OVER);
    const moved = record({ sessionId: 'ctl-2/boot/7', controllerId: 'ctl-2', connectedAt: at(5) });
    await fleet.recordSessions([moved], TAKE_OVER);
    expect(await row()).toMatchObject({ controllerId: 'ctl-2', connected: true });

    // ctl-1 notices only now that its stream is gone.
    expect(await fleet.recordSessions([record({ connected: false, disconnectedAt: at(6) })], TAKE_OVER)).toBe(0);
    expect(await row()).toMatchObject({ controllerId: 'ctl-2', connected: true, disconnectedAt: null });

    await fleet.recordSessions([{ ...moved, connected: false, disconnectedAt: at(9) }], TAKE_OVER);
    expect(await row()).toMatchObject({ controllerId: 'ctl-2', connected: false, disconnectedAt: at(9), lastSeenAt: at(9) });
  });

  it('never lets an older session take a live row back (a late open or heartbeat)', async () => {
    await fleet.recordSessions([record({ sessionId: 'ctl-2/boot/7', controllerId: 'ctl-2', connectedAt: at(5) })], TAKE_OVER);
    expect(await fleet.recordSessions([record({ applied: { version: 9, epoch: 1, hash: 'h9' } })], TAKE_OVER)).toBe(0);
    expect(await row()).toMatchObject({ controllerId: 'ctl-2', applied: { version: 3 } });
  });

  it('lets a connected session take over a closed row even if its clock is behind', async () => {
    await fleet.recordSessions([record({ connectedAt: at(100), connected: false, disconnectedAt: at(101) })], TAKE_OVER);
    await fleet.recordSessions([record({ sessionId: 'ctl-2/boot/1', controllerId: 'ctl-2', connectedAt: at(50) })], TAKE_OVER);
    expect(await row()).toMatchObject({ controllerId: 'ctl-2', connected: true, disconnectedAt: null });
  });

  it('takes over a row whose replica died without closing (not seen for the take-over time)', async () => {
    await fleet.recordSessions([record({ connectedAt: at(100) })], TAKE_OVER);
    const newcomer = record({ sessionId: 'ctl-2/boot/1', controllerId: 'ctl-2', connectedAt: at(50) });
    expect(await fleet.recordSessions([newcomer], TAKE_OVER)).toBe(0);
    await sql`update runtime_sessions set last_seen_at = now() - interval '20 seconds'`.execute(database.db);
    expect(await fleet.recordSessions([newcomer], TAKE_OVER)).toBe(1);
    expect(await row()).toMatchObject({ controllerId: 'ctl-2', connected: true });
  });

  it('keeps the newest NACK: a record without one never erases it', async () => {
    const nack = { version: 4, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many APIs', at: at(10) };
    await fleet.recordSessions([record({ lastNack: nack })], TAKE_OVER);
    expect((await row())!.lastNack).toEqual(nack);
    // A new stream (reconnect) knows no NACK yet.
    await fleet.recordSessions([record({ sessionId: 'ctl-1/boot/2', connectedAt: at(20) })], TAKE_OVER);
    expect((await row())!.lastNack).toEqual(nack);
    const newer = { ...nack, version: 5, message: 'still too many', at: at(30) };
    await fleet.recordSessions([record({ sessionId: 'ctl-1/boot/2', connectedAt: at(20), lastNack: newer })], TAKE_OVER);
    expect((await row())!.lastNack).toEqual(newer);
  });

  it('answers a runtime\'s last NACKed (epoch, version) to any replica, and nothing for a runtime without one', async () => {
    expect(await fleet.lastNack('rt-unknown')).toBeUndefined();
    await fleet.recordSessions([record({ runtimeId: 'rt-clean', sessionId: 'ctl-1/boot/9' })], TAKE_OVER);
    expect(await fleet.lastNack('rt-clean')).toBeUndefined();
    const nack = { version: 8, epoch: 2, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many APIs', at: at(40) };
    await fleet.recordSessions([record({ runtimeId: 'rt-nacked', sessionId: 'ctl-1/boot/10', lastNack: nack })], TAKE_OVER);
    expect(await fleet.lastNack('rt-nacked')).toEqual({ epoch: 2, version: 8 });
  });

  it('writes several records for one runtime in one call: the newest session wins', async () => {
    const older = record({ connectedAt: at(1), connected: false, disconnectedAt: at(2) });
    const newer = record({ sessionId: 'ctl-1/boot/2', connectedAt: at(3) });
    expect(await fleet.recordSessions([newer, older], TAKE_OVER)).toBe(1);
    expect(await row()).toMatchObject({ sessionId: 'ctl-1/boot/2', connected: true });
  });

  it('writes large fleets in batches', async () => {
    const many = Array.from({ length: 1_234 }, (_, i) => record({ runtimeId: `rt-${String(i).padStart(4, '0')}` }));
    expect(await fleet.recordSessions(many, TAKE_OVER)).toBe(1_234);
    expect((await fleet.readFleet()).runtimes).toHaveLength(1_234);
  });

  it('forgets only runtimes not seen for the retention time', async () => {
    await fleet.recordSessions([record({ runtimeId: 'old' }), record({ runtimeId: 'new' })], TAKE_OVER);
    await sql`update runtime_sessions set last_seen_at = now() - interval '2 hours' where runtime_id = 'old'`.execute(database.db);
    expect(await fleet.forgetRuntimes(3_600_000)).toBe(1);
    expect((await fleet.readFleet()).runtimes.map((r) => r.runtimeId)).toEqual(['new']);
  });

  it('bumps epoch and version in one audited, notified transaction, above every version a runtime ran', async () => {
    const apis = createApiStore(database.db);
    const listener = new pg.Client({ connectionString: temp.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    await listener.query(`listen ${CONFIG_CHANNEL}`);
    try {
      const before = await apis.readConfigState();
      // A runtime ran a version the database no longer has (a backup was restored).
      await fleet.recordSessions([record({ applied: { version: before.version + 40, epoch: before.epoch, hash: 'x' } })], TAKE_OVER);
      const bumped = await fleet.bumpEpoch({ actor: 'admin' });
      expect(bumped).toEqual({ epoch: before.epoch + 1, configVersion: before.version + 41 });
      expect(await apis.readConfigState()).toEqual({ version: bumped.configVersion, epoch: bumped.epoch });

      const again = await fleet.bumpEpoch({ actor: 'admin' });
      expect(again).toEqual({ epoch: bumped.epoch + 1, configVersion: bumped.configVersion + 1 });

      const audit = (await listAudit(database.db)).filter((a) => a.action === 'epoch');
      expect(audit).toMatchObject([
        { actor: 'admin', action: 'epoch', apiName: null, revision: null, epoch: bumped.epoch, configVersion: bumped.configVersion },
        { actor: 'admin', action: 'epoch', apiName: null, revision: null, epoch: again.epoch, configVersion: again.configVersion },
      ]);
      await waitFor('two epoch notifications', () => notified.length >= 2, { timeoutMs: 5_000 });
      expect(notified).toEqual([String(bumped.configVersion), String(again.configVersion)]);
    } finally {
      await listener.end();
    }
  });

  it('bumps the epoch only if it is still the expected one', async () => {
    const { epoch, version } = await createApiStore(database.db).readConfigState();
    await expect(fleet.bumpEpoch({ actor: 'admin', expectedEpoch: epoch + 5 })).rejects.toMatchObject({
      code: 'GW_PRECONDITION_FAILED',
      message: `The config epoch is ${epoch}, not ${epoch + 5}.`,
    });
    expect(await createApiStore(database.db).readConfigState()).toEqual({ epoch, version });
    expect(await fleet.bumpEpoch({ actor: 'admin', expectedEpoch: epoch })).toMatchObject({ epoch: epoch + 1 });
  });

  it('refuses audit entries that mix an epoch with an API', async () => {
    await expect(
      sql`insert into audit_log (actor, action, api_name, revision, config_version, epoch) values ('x', 'epoch', 'orders', 1, 1, 2)`.execute(database.db),
    ).rejects.toThrow(/audit_log_subject_check/);
    await expect(sql`insert into audit_log (actor, action, config_version) values ('x', 'put', 1)`.execute(database.db)).rejects.toThrow(/audit_log_subject_check/);
  });

  it('maps an unreachable database to GW_DATABASE_UNAVAILABLE', async () => {
    const dead = createDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', connectionTimeoutMillis: 500 });
    try {
      await expect(createFleetStore(dead.db).readFleet()).rejects.toMatchObject({ code: 'GW_DATABASE_UNAVAILABLE' });
      await expect(createFleetStore(dead.db).recordSessions([record()], TAKE_OVER)).rejects.toMatchObject({ code: 'GW_DATABASE_UNAVAILABLE' });
    } finally {
      await dead.close();
    }
  });
});
