import type { ConfigSnapshot } from '@gw/config-contract';
import { describe, expect, it } from 'vitest';
import { RECENT_SNAPSHOTS, SnapshotCache } from './snapshot-cache.js';

const snap = (version: number, epoch = 1): ConfigSnapshot => ({ version, epoch, hash: `h${version}`, resources: [] });

describe('SnapshotCache', () => {
  it('keeps the newest version and ignores older or equal ones', () => {
    const cache = new SnapshotCache();
    expect(cache.set(snap(3))).toBe(true);
    expect(cache.set(snap(2))).toBe(false);
    expect(cache.set(snap(3))).toBe(false);
    expect(cache.current?.version).toBe(3);
    expect(cache.set(snap(5))).toBe(true);
    expect(cache.current?.version).toBe(5);
  });

  it('lets a higher epoch win even with a lower version', () => {
    const cache = new SnapshotCache();
    cache.set(snap(9, 1));
    expect(cache.set(snap(4, 2))).toBe(true);
    expect(cache.set(snap(8, 1))).toBe(false);
    expect(cache.current).toMatchObject({ version: 4, epoch: 2 });
  });

  it('notifies watchers of newer snapshots only, until they unsubscribe', () => {
    const cache = new SnapshotCache();
    const seen: number[] = [];
    const off = cache.watch((s) => seen.push(s.version));
    cache.set(snap(1));
    cache.set(snap(1));
    cache.set(snap(2));
    off();
    cache.set(snap(3));
    expect(seen).toEqual([1, 2]);
    expect(cache.watcherCount).toBe(0);
  });

  it('freezes what it holds', () => {
    const cache = new SnapshotCache();
    cache.set(snap(1));
    expect(Object.isFrozen(cache.current)).toBe(true);
  });

  it('finds the last few states by state hash (the newest version of each), forgetting older ones', () => {
    const cache = new SnapshotCache();
    for (let v = 1; v <= RECENT_SNAPSHOTS + 2; v++) cache.set(snap(v));
    expect(cache.byHash('h1')).toBeUndefined();
    expect(cache.byHash('h2')).toBeUndefined();
    expect(cache.byHash('h3')?.version).toBe(3);
    expect(cache.byHash(`h${RECENT_SNAPSHOTS + 2}`)).toBe(cache.current);
    // The same content at a newer version: one entry, the newest.
    cache.set({ ...snap(20), hash: 'h3' });
    expect(cache.byHash('h3')?.version).toBe(20);
    expect(cache.byHash('h4')?.version).toBe(4);
  });
});
