import { hashSnapshotContent, type Snapshot, type SnapshotContent } from '@gw/snapshot';
import { describe, expect, it } from 'vitest';
import { RuntimeState } from './runtime-state.js';

function content(names: string[], port = 8080): SnapshotContent {
  return {
    apis: names.map((name) => ({
      name,
      hosts: [],
      basePath: `/${name}`,
      stripBasePath: true,
      upstream: { targets: [{ url: `http://127.0.0.1:${port}`, weight: 1 }], connectTimeoutMs: 1000, requestTimeoutMs: 1000 },
    })),
  };
}
function snap(version: number, names = ['orders'], epoch = 1, port = 8080): Snapshot {
  const c = content(names, port);
  return { version, epoch, hash: hashSnapshotContent(c), content: c };
}

describe('RuntimeState', () => {
  it('swaps to a valid snapshot and keeps the old table object for requests in flight', () => {
    const state = new RuntimeState();
    expect(state.apply(snap(1), 'controller')).toEqual({ ok: true });
    const first = state.getTable();
    expect(state.apply(snap(2, ['orders', 'users']), 'controller')).toEqual({ ok: true });
    expect(state.getTable()).not.toBe(first);
    expect(first!.match(undefined, '/users/1')).toBeUndefined();
    expect(state.getTable()!.match(undefined, '/users/1')?.route.name).toBe('users');
  });

  it('rejects an invalid snapshot and keeps serving the last good table', () => {
    const state = new RuntimeState();
    state.apply(snap(1), 'controller');
    const good = state.getTable();
    const bad = snap(2);
    bad.content.apis[0]!.upstream.targets = [];
    bad.hash = hashSnapshotContent(bad.content);
    const verdict = state.apply(bad, 'controller');
    expect(verdict).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
    expect(state.getTable()).toBe(good);
    expect(state.applied?.version).toBe(1);
  });

  it('rejects content that does not match its announced hash', () => {
    const state = new RuntimeState();
    const tampered = { ...snap(1), hash: snap(1, ['other']).hash };
    expect(state.apply(tampered, 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    expect(state.getTable()).toBeUndefined();
  });

  it('does not rebuild for the same content under a newer version', () => {
    const state = new RuntimeState();
    state.apply(snap(1), 'controller');
    const table = state.getTable();
    expect(state.apply(snap(5), 'controller')).toEqual({ ok: true });
    expect(state.getTable()).toBe(table);
    expect(state.applied?.version).toBe(5);
  });

  it('refuses older versions in the same epoch, and older epochs; accepts any version of a newer epoch', () => {
    const state = new RuntimeState();
    state.apply(snap(7, ['a']), 'controller');
    expect(state.apply(snap(6, ['b']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.apply(snap(7, ['b']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.apply(snap(9, ['b'], 0), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.applied).toMatchObject({ version: 7, epoch: 1 });
    expect(state.apply(snap(3, ['b'], 2), 'controller')).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 3, epoch: 2 });
  });

  it('refuses a snapshot with more APIs than it is sized for', () => {
    const state = new RuntimeState({ maxApis: 2 });
    expect(state.apply(snap(1, ['a', 'b']), 'controller')).toEqual({ ok: true });
    expect(state.apply(snap(2, ['a', 'b', 'c']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_OVER_CAPACITY' });
    expect(state.applied?.version).toBe(1);
  });
});
