import type { ConfigSnapshot } from '@gw/config-contract';
import { describe, expect, it } from 'vitest';
import { SnapshotCache } from './snapshot-cache.js';

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
});
