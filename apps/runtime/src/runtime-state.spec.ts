import { hashSnapshotContent, type Snapshot, type SnapshotContent } from '@gw/config-contract';
import { plainApi } from '@gw/config-contract/testing';
import { describe, expect, it } from 'vitest';
import { RuntimeState } from './runtime-state.js';

function content(names: string[], port = 8080): SnapshotContent {
  return {
    apis: names.map((name) => plainApi(name, `/${name}`, [`http://127.0.0.1:${port}`])),
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
    expect(first!.match('GET', undefined, '/users/1')).toBeUndefined();
    expect(state.getTable()!.match('GET', undefined, '/users/1')?.route.name).toBe('users');
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

  it('serves a snapshot from the cache with the file\'s savedAt', () => {
    const state = new RuntimeState();
    const savedAt = new Date('2025-01-01T00:00:00.000Z');
    expect(state.apply(snap(4), 'cache', { controllerId: 'ctl-1', savedAt })).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 4, source: 'cache', savedAt, controllerId: 'ctl-1' });
    expect(state.getTable()!.match('GET', undefined, '/orders/1')?.route.name).toBe('orders');
  });

  it('a controller confirming the cached content switches the source without rebuilding', () => {
    const state = new RuntimeState();
    state.apply(snap(4), 'cache', { controllerId: 'ctl-1', savedAt: new Date() });
    const table = state.getTable();
    const appliedAt = state.applied!.appliedAt;
    expect(state.apply(snap(4), 'controller', { controllerId: 'ctl-2' })).toEqual({ ok: true });
    expect(state.getTable()).toBe(table);
    expect(state.applied).toMatchObject({ version: 4, source: 'controller', savedAt: undefined, controllerId: 'ctl-2', appliedAt });

    const newer = new RuntimeState();
    newer.apply(snap(4), 'cache', { savedAt: new Date() });
    const newerTable = newer.getTable();
    expect(newer.apply(snap(6), 'controller', { controllerId: 'ctl-1' })).toEqual({ ok: true });
    expect(newer.getTable()).toBe(newerTable);
    expect(newer.applied).toMatchObject({ version: 6, source: 'controller', controllerId: 'ctl-1' });
  });

  it('keeps the cache as the source when a lagging controller has the same content under an older version', () => {
    const state = new RuntimeState();
    state.apply(snap(4), 'cache', { controllerId: 'ctl-1', savedAt: new Date() });
    expect(state.apply(snap(3), 'controller', { controllerId: 'ctl-2' })).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 4, source: 'cache', controllerId: 'ctl-1' });
  });

  it('replaces cached content with newer content from a controller, and refuses older content', () => {
    const state = new RuntimeState();
    state.apply(snap(4, ['a']), 'cache', { savedAt: new Date() });
    expect(state.apply(snap(3, ['b']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.applied).toMatchObject({ version: 4, source: 'cache' });
    expect(state.apply(snap(5, ['b']), 'controller', { controllerId: 'ctl-1' })).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 5, source: 'controller', savedAt: undefined });
  });

  it('refuses a snapshot with more APIs than it is sized for', () => {
    const state = new RuntimeState({ maxApis: 2 });
    expect(state.apply(snap(1, ['a', 'b']), 'controller')).toEqual({ ok: true });
    expect(state.apply(snap(2, ['a', 'b', 'c']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_OVER_CAPACITY' });
    expect(state.applied?.version).toBe(1);
  });
});
