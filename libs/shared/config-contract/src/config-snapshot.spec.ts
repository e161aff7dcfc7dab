import { createHash } from 'node:crypto';
import { plainApi } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { apiResource, compareResources, contentHash, resourceKey, type ConfigResource } from './config-resource.js';
import { buildSnapshot, deriveSnapshot, stateHash, verifySnapshot, type ConfigSnapshot } from './config-snapshot.js';

const orders = apiResource(plainApi('orders', '/orders', ['http://10.0.0.7:8080']), 3);
const users = apiResource(plainApi('users', '/users', ['http://10.0.0.8:8080']), 1);

describe('config snapshots', () => {
  it('sort resources, derive the state hash from resource hashes only, and verify', () => {
    const snapshot = buildSnapshot(7, 1, [users, orders]);
    expect(snapshot.resources.map((r) => r.name)).toEqual(['orders', 'users']);
    expect(snapshot.hash).toBe(stateHash([orders, users]));
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
    // Versions (fleet and revisions) are not part of the hash: the same content, the same hash.
    expect(buildSnapshot(8, 1, [{ ...orders, version: 4 }, users]).hash).toBe(snapshot.hash);
    expect(Object.isFrozen(snapshot) && Object.isFrozen(snapshot.resources)).toBe(true);
  });

  it('hash the empty config too', () => {
    const empty = buildSnapshot(0, 1, []);
    expect(empty.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySnapshot(empty)).toEqual({ ok: true });
  });

  it('refuse content that does not hash to its announced hash, and a state hash that does not match', () => {
    const tampered = { ...orders, content: orders.content.replace('10.0.0.7', '10.6.6.6') };
    expect(verifySnapshot({ version: 1, epoch: 1, hash: stateHash([tampered]), resources: [tampered] })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    const rehashed = { ...tampered, hash: contentHash(tampered.content) };
    expect(verifySnapshot({ version: 1, epoch: 1, hash: stateHash([orders]), resources: [rehashed] })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH', message: expect.stringContaining('announced') });
  });

  it('refuse resources out of order or named twice', () => {
    for (const resources of [[users, orders], [orders, orders]]) {
      expect(verifySnapshot({ version: 1, epoch: 1, hash: stateHash(resources), resources })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
    }
  });
});

/** The state hash as the contract defines it, computed here independently of any kept state. */
const referenceHash = (resources: readonly ConfigResource[]) =>
  createHash('sha256')
    .update([...resources].sort(compareResources).map((r) => `${r.type} ${r.name} ${r.hash}\n`).join(''))
    .digest('hex');

describe('derived snapshots (the incremental state hash)', () => {
  const res = (name: string, target: number) => apiResource(plainApi(name, `/${name}`, [`http://10.0.${target % 250}.1:8080`]), target);
  /** A small deterministic generator (mulberry32): the same cases on every run. */
  function random(seed: number) {
    let a = seed;
    return (n: number) => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) % n);
    };
  }
  // Names of several byte lengths, some not ASCII, so line offsets differ from string offsets.
  const NAMES = ['a', 'b', 'ab', 'api-00001', 'api-00002', 'zz', 'é', 'ü-x', '日本', 'm'];

  it('equal buildSnapshot of the merged resources, change after change, from built, derived and foreign bases', () => {
    const next = random(13);
    let target = 0;
    let current: ConfigSnapshot = buildSnapshot(1, 1, NAMES.slice(0, 5).map((n) => res(n, target++)));
    for (let step = 0; step < 300; step++) {
      const changed = new Map<string, ConfigResource>();
      for (let k = next(4); k > 0; k--) {
        const name = NAMES[next(NAMES.length)]!;
        changed.set(name, res(name, target++));
      }
      const removed = new Set<string>();
      for (let k = next(3); k > 0; k--) removed.add(resourceKey({ type: 'api', name: NAMES[next(NAMES.length)]! }));
      const put = [...changed.values()].sort(compareResources);
      // A base this process did not build (e.g. decoded from the wire): no kept lines, same answer.
      const base = step % 7 === 0 ? ({ ...current, resources: Object.freeze([...current.resources]) } as ConfigSnapshot) : current;
      const derived = deriveSnapshot(base, step + 2, 1, put, removed);
      const kept = current.resources.filter((r) => !changed.has(r.name) && !removed.has(resourceKey(r)));
      const expected = buildSnapshot(step + 2, 1, [...kept, ...put]);
      expect(derived.resources).toEqual(expected.resources);
      expect(derived.hash).toBe(expected.hash);
      expect(derived.hash).toBe(referenceHash(expected.resources));
      expect(verifySnapshot(derived)).toEqual({ ok: true });
      expect(Object.isFrozen(derived) && Object.isFrozen(derived.resources)).toBe(true);
      current = derived;
    }
  });

  it('equal buildSnapshot across many chunks of hash lines (edits at their boundaries, chunks emptied and grown)', () => {
    const next = random(7);
    const names = Array.from({ length: 1_500 }, (_, k) => `api-${String(k).padStart(5, '0')}`);
    let target = 0;
    let current: ConfigSnapshot = buildSnapshot(1, 1, names.filter((_, k) => k % 2 === 0).map((n) => res(n, target++)));
    for (let step = 0; step < 120; step++) {
      const changed = new Map<string, ConfigResource>();
      const removed = new Set<string>();
      // Mostly single edits (the common write), sometimes a run of hundreds (an apply, a prune).
      const run = step % 10 === 9 ? 300 : 1 + next(3);
      const from = next(names.length);
      for (let k = 0; k < run; k++) {
        const name = names[(from + (step % 10 === 9 ? k : next(names.length))) % names.length]!;
        if (next(3) === 0) removed.add(resourceKey({ type: 'api', name }));
        else changed.set(name, res(name, target++));
      }
      const put = [...changed.values()].sort(compareResources);
      const derived = deriveSnapshot(current, step + 2, 1, put, removed);
      const kept = current.resources.filter((r) => !changed.has(r.name) && !removed.has(resourceKey(r)));
      const expected = buildSnapshot(step + 2, 1, [...kept, ...put]);
      expect(derived.resources).toEqual(expected.resources);
      expect(derived.hash).toBe(expected.hash);
      expect(derived.hash).toBe(referenceHash(expected.resources));
      current = derived;
    }
    expect(current.resources.length).toBeGreaterThan(300);
  });

  it('answer stateHash of a recently built state from its fields, and hash anything else', () => {
    const snapshot = buildSnapshot(1, 1, Array.from({ length: 600 }, (_, k) => res(`api-${String(k).padStart(5, '0')}`, k)));
    // Other objects with the same fields (as a runtime rebuilds them): the same hash.
    const copies = snapshot.resources.map((r) => ({ ...r, version: r.version + 1 }));
    expect(stateHash(copies)).toBe(snapshot.hash);
    // One field different anywhere, or one resource fewer: hashed, never the remembered answer.
    for (const at of [0, 299, 599]) {
      const altered = copies.map((r, k) => (k === at ? { ...r, hash: contentHash(`x${k}`) } : r));
      expect(stateHash(altered)).toBe(referenceHash(altered));
      expect(stateHash(altered)).not.toBe(snapshot.hash);
      const renamed = copies.map((r, k) => (k === at ? { ...r, name: `${r.name}x` } : r));
      expect(stateHash(renamed)).toBe(referenceHash(renamed));
    }
    expect(stateHash(copies.slice(1))).toBe(referenceHash(copies.slice(1)));
  });

  it('derive the empty state and build up from it', () => {
    const empty = buildSnapshot(1, 1, []);
    const one = deriveSnapshot(empty, 2, 1, [res('orders', 1)], new Set());
    expect(one.hash).toBe(stateHash([res('orders', 1)]));
    const none = deriveSnapshot(one, 3, 1, [], new Set([resourceKey({ type: 'api', name: 'orders' })]));
    expect(none.hash).toBe(empty.hash);
    expect(none.resources).toEqual([]);
  });
});
