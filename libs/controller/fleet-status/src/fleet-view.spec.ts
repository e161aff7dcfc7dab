import type { FleetState, RuntimeSessionRow } from '@gw/store';
import { describe, expect, it } from 'vitest';
import { fleetStatus, laggards, runtimeViews } from './fleet-view.js';

const NOW = new Date('2030-01-01T00:01:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function row(runtimeId: string, overrides: Partial<RuntimeSessionRow> = {}): RuntimeSessionRow {
  return {
    runtimeId,
    sessionId: `ctl-1/b/${runtimeId}`,
    zone: 'a',
    controllerId: 'ctl-1',
    buildVersion: '',
    peer: '',
    connected: true,
    connectedAt: ago(50_000),
    lastSeenAt: ago(1_000),
    disconnectedAt: null,
    applied: { version: 7, epoch: 1, hash: 'h7' },
    lastNack: null,
    ...overrides,
  };
}

function fleet(runtimes: RuntimeSessionRow[], config = { version: 7, epoch: 1 }): FleetState {
  return { config, now: NOW, runtimes };
}

const ctx = { staleAfterMs: 15_000, localSnapshot: { version: 7, epoch: 1, hash: 'h7' }, controllerId: 'ctl-2', zone: 'b' };

describe('runtimeViews', () => {
  it('judges connected, stale and disconnected on the database clock, and in sync on version, epoch and hash', () => {
    const views = runtimeViews(
      fleet([
        row('ok'),
        row('behind', { applied: { version: 6, epoch: 1, hash: 'h6' } }),
        row('stale', { lastSeenAt: ago(15_001) }),
        row('gone', { connected: false, disconnectedAt: ago(5_000), lastSeenAt: ago(5_000) }),
        row('other-hash', { applied: { version: 7, epoch: 1, hash: 'zzz' } }),
        row('old-epoch', { applied: { version: 7, epoch: 0, hash: 'h7' } }),
      ]),
      ctx,
    );
    expect(views.map((v) => [v.runtimeId, v.state, v.connected, v.stale, v.inSync])).toEqual([
      ['ok', 'connected', true, false, true],
      ['behind', 'connected', true, false, false],
      ['stale', 'stale', false, true, false],
      ['gone', 'disconnected', false, false, false],
      ['other-hash', 'connected', true, false, false],
      ['old-epoch', 'connected', true, false, false],
    ]);
    expect(views[3]).toMatchObject({ disconnectedAt: ago(5_000).toISOString(), lastSeenAt: ago(5_000).toISOString() });
  });

  it('compares versions only while this replica has not compiled the database version yet', () => {
    const views = runtimeViews(fleet([row('x', { applied: { version: 8, epoch: 1, hash: 'new' } })], { version: 8, epoch: 1 }), ctx);
    expect(views[0]!.inSync).toBe(true);
  });

  it('shows the certificate identity and expiry, and null for both in insecure mode', () => {
    const notAfter = new Date('2027-03-01T00:00:00Z');
    const [secure, insecure] = runtimeViews(fleet([row('a', { identity: 'spiffe://gateway/runtime/a', certificateNotAfter: notAfter }), row('b')]), ctx);
    expect(secure).toMatchObject({ identity: 'spiffe://gateway/runtime/a', certificateNotAfter: '2027-03-01T00:00:00.000Z' });
    expect(insecure).toMatchObject({ identity: null, certificateNotAfter: null });
  });

  it('shows the last NACK and whether it is still pending', () => {
    const nack = { version: 8, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many', at: ago(2_000) };
    const [pending, resolved] = runtimeViews(
      fleet([row('p', { lastNack: nack }), row('r', { lastNack: { ...nack, version: 6 } })]),
      ctx,
    );
    expect(pending).toMatchObject({ nackPending: true, lastNack: { version: 8, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many', at: nack.at.toISOString() } });
    expect(resolved).toMatchObject({ nackPending: false, lastNack: { version: 6 } });
  });
});

describe('fleetStatus', () => {
  it('counts in sync / total overall and per zone, and lists stale runtimes and pending NACKs', () => {
    const nack = { version: 7, epoch: 1, code: 'GW_SNAPSHOT_INVALID', message: 'bad', at: ago(1_000) };
    const status = fleetStatus(
      fleet([
        row('a1'),
        row('a2', { applied: { version: 6, epoch: 1, hash: 'h6' }, lastNack: nack }),
        row('b1', { zone: 'b' }),
        row('b2', { zone: 'b', lastSeenAt: ago(60_000), controllerId: 'dead' }),
        row('c1', { zone: 'c', connected: false }),
      ]),
      ctx,
    );
    expect(status.controller).toEqual({ id: 'ctl-2', zone: 'b', snapshot: { version: 7, epoch: 1, hash: 'h7' } });
    expect(status.config).toEqual({ version: 7, epoch: 1, hash: 'h7' });
    expect(status.runtimes).toEqual({ total: 5, connected: 3, inSync: 2, outOfSync: 1, nacked: 1, stale: 1, disconnected: 1 });
    expect(status.zones).toEqual({
      a: { total: 2, connected: 2, inSync: 1, outOfSync: 1, nacked: 1, stale: 0, disconnected: 0 },
      b: { total: 2, connected: 1, inSync: 1, outOfSync: 0, nacked: 0, stale: 1, disconnected: 0 },
      c: { total: 1, connected: 0, inSync: 0, outOfSync: 0, nacked: 0, stale: 0, disconnected: 1 },
    });
    expect(status.stale).toEqual([{ runtimeId: 'b2', zone: 'b', controllerId: 'dead', lastSeenAt: ago(60_000).toISOString() }]);
    expect(status.nacks).toEqual([{ runtimeId: 'a2', zone: 'a', controllerId: 'ctl-1', version: 7, epoch: 1, code: 'GW_SNAPSHOT_INVALID', message: 'bad', at: nack.at.toISOString() }]);
    expect(status.warnings).toEqual([]);
    expect(status.checkedAt).toBe(NOW.toISOString());
  });

  it('warns when runtimes run a config newer than the database (a restored backup)', () => {
    const status = fleetStatus(fleet([row('x', { applied: { version: 12, epoch: 1, hash: 'h' } })], { version: 7, epoch: 1 }), ctx);
    expect(status.warnings).toHaveLength(1);
    expect(status.warnings[0]).toMatch(/version 12, epoch 1.*version 7, epoch 1.*POST \/v1\/config\/epoch/);
  });
});

describe('laggards', () => {
  it('names connected runtimes below the version or in an older epoch; ignores stale and disconnected ones', () => {
    const state = fleet(
      [
        row('at', { applied: { version: 9, epoch: 2, hash: 'x' } }),
        row('below', { applied: { version: 8, epoch: 2, hash: 'x' } }),
        row('old-epoch', { applied: { version: 50, epoch: 1, hash: 'x' } }),
        row('stale', { applied: { version: 1, epoch: 2, hash: 'x' }, lastSeenAt: ago(20_000) }),
        row('gone', { applied: { version: 1, epoch: 2, hash: 'x' }, connected: false }),
      ],
      { version: 9, epoch: 2 },
    );
    expect(laggards(state, 9, 15_000).map((l) => [l.runtimeId, l.version, l.epoch])).toEqual([
      ['below', 8, 2],
      ['old-epoch', 50, 1],
    ]);
    expect(laggards(state, 8, 15_000).map((l) => l.runtimeId)).toEqual(['old-epoch']);
  });
});
