import { plainApi } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { applyDelta, diffResources, diffSnapshots, diffWalk, heldIndex } from './config-delta.js';
import { apiResource, type ConfigResource } from './config-resource.js';
import { buildSnapshot, deriveSnapshot, editedSince, type ConfigSnapshot } from './config-snapshot.js';
import { resourceKey } from './config-resource.js';

const api = (name: string, target = 1, revision = 1) => apiResource(plainApi(name, `/${name}`, [`http://10.0.0.${target}:8080`]), revision);

function diff(base: ConfigSnapshot, target: ConfigSnapshot) {
  return diffResources(heldIndex(base.resources), base.hash, target);
}

describe('config deltas', () => {
  const v1 = buildSnapshot(1, 1, [api('a'), api('b'), api('c'), api('d')]);
  const v2 = buildSnapshot(2, 1, [api('a'), api('b', 2, 2), api('d'), api('e')]);

  it('carry only the added and changed resources and the removed keys, with the whole-state version and hash', () => {
    const delta = diff(v1, v2);
    expect(delta).toMatchObject({ version: 2, epoch: 1, hash: v2.hash, baseHash: v1.hash });
    expect(delta.changed.map((r) => r.name)).toEqual(['b', 'e']);
    expect(delta.removed).toEqual([{ type: 'api', name: 'c' }]);
    // The same from the listed hashes and from the snapshot itself.
    expect(diffSnapshots(v1, v2)).toEqual(delta);
    // Unchanged content is not sent even when only versions moved on.
    expect(diff(v2, buildSnapshot(3, 1, v2.resources)).changed).toEqual([]);
  });

  it('rebuild the whole target state from the base, sharing the unchanged resource objects', () => {
    const result = applyDelta(v1, diff(v1, v2));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.snapshot).toEqual(v2);
    expect(result.snapshot.resources[0]).toBe(v1.resources[0]);
    expect(Object.isFrozen(result.snapshot)).toBe(true);
    // From nothing to everything, and from everything to nothing.
    const empty = buildSnapshot(0, 1, []);
    expect(applyDelta(empty, diff(empty, v2))).toEqual({ ok: true, snapshot: v2 });
    expect(applyDelta(v2, diff(v2, buildSnapshot(4, 1, [])))).toEqual({ ok: true, snapshot: buildSnapshot(4, 1, []) });
  });

  it('refuse a delta against another base than the one held: the resulting state hash is not the announced one', () => {
    const other = buildSnapshot(1, 1, [api('a'), api('x')]);
    const result = applyDelta(other, diff(v1, v2));
    expect(result).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    if (!result.ok) expect(result.message).toContain('disagree on the base');
  });

  it('refuse a changed resource whose content does not hash to its announced hash, and unsorted or repeated resources', () => {
    const delta = diff(v1, v2);
    const tampered: ConfigResource = { ...delta.changed[0]!, content: delta.changed[0]!.content.replace('10.0.0.2', '10.6.6.6') };
    expect(applyDelta(v1, { ...delta, changed: [tampered, delta.changed[1]!] })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    expect(applyDelta(v1, { ...delta, changed: [...delta.changed].reverse() })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
    expect(applyDelta(v1, { ...delta, changed: [delta.changed[0]!, delta.changed[0]!] })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
  });

  it('carry one resource for a one-API change to 2,000 APIs, and rebuild the announced state from it', () => {
    const many = Array.from({ length: 2_000 }, (_, i) => api(`api-${String(i).padStart(5, '0')}`));
    const base = buildSnapshot(1, 1, many);
    const next = buildSnapshot(2, 1, many.map((r, i) => (i === 1_000 ? api(r.name, 9, 2) : r)));
    const delta = diff(base, next);
    expect(delta.changed).toHaveLength(1);
    expect(diffSnapshots(base, next)).toEqual(delta);
    const result = applyDelta(base, delta);
    expect(result.ok && result.snapshot.hash).toBe(next.hash);
  });

  it('from an ancestor it was derived from: only the edited keys are looked up, and the delta is the merge walk\'s', () => {
    // A seeded walk (reproducible): puts of new, changed and same-content resources, removals
    // (of held keys, of keys not held, of keys put back in the same step), over many steps.
    let seed = 13;
    const random = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const chain: ConfigSnapshot[] = [buildSnapshot(1, 1, Array.from({ length: 300 }, (_, i) => api(`api-${String(i).padStart(3, '0')}`)))];
    for (let v = 2; v <= 60; v++) {
      const base = chain[chain.length - 1]!;
      const puts = new Map<string, ConfigResource>();
      for (let k = random(4); k > 0; k--) {
        const name = `api-${String(random(400)).padStart(3, '0')}`;
        puts.set(name, api(name, random(3) + 1, v));
      }
      const removed = new Set<string>();
      for (let k = random(3); k > 0; k--) removed.add(resourceKey({ type: 'api', name: `api-${String(random(400)).padStart(3, '0')}` }));
      const changed = [...puts.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
      chain.push(deriveSnapshot(base, v, 1, changed, removed));
    }
    let viaLineage = 0;
    for (let to = 1; to < chain.length; to++) {
      for (let from = Math.max(0, to - 70); from < to; from++) {
        const [base, target] = [chain[from]!, chain[to]!];
        if (editedSince(base, target, 64, 10_000) !== undefined) viaLineage++;
        expect(diffSnapshots(base, target)).toEqual(diffWalk(base, target));
      }
    }
    expect(viaLineage).toBeGreaterThan(1_000);
    // Not an ancestor (the same content built anew, a later state, beyond the step bound): the walk.
    const rebuilt = buildSnapshot(1, 1, chain[0]!.resources);
    expect(editedSince(rebuilt, chain[5]!, 64, 10_000)).toBeUndefined();
    expect(editedSince(chain[5]!, chain[3]!, 64, 10_000)).toBeUndefined();
    expect(editedSince(chain[0]!, chain[59]!, 10, 10_000)).toBeUndefined();
    expect(diffSnapshots(rebuilt, chain[5]!)).toEqual(diffWalk(chain[0]!, chain[5]!));
  });
});
