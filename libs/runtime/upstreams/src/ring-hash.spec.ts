import { describe, expect, it } from 'vitest';
import { hashString } from './hash.js';
import { RingHash } from './ring-hash.js';

const urls = (n: number) => Array.from({ length: n }, (_, i) => `http://10.0.0.${i + 1}:8080`);
const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

function assign(ring: RingHash, targets: string[], eligible?: Uint8Array): string[] {
  return keys.map((k) => targets[ring.lookup(hashString(k), eligible)]!);
}

describe('RingHash', () => {
  it('spreads keys evenly over equal-weight targets', () => {
    const t = urls(10);
    const owners = assign(new RingHash(t, t.map(() => 1)), t);
    for (const url of t) {
      const share = owners.filter((o) => o === url).length / keys.length;
      expect(share).toBeGreaterThan(0.06);
      expect(share).toBeLessThan(0.14);
    }
  });

  it('removing one of N targets remaps only the keys it owned (about 1/N)', () => {
    const n = 10;
    const before = urls(n);
    const removed = before[3]!;
    const after = before.filter((u) => u !== removed);
    const a = assign(new RingHash(before, before.map(() => 1)), before);
    const b = assign(new RingHash(after, after.map(() => 1)), after);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (a[i] !== b[i]) {
        moved++;
        // Only keys of the removed target move; everyone else keeps theirs.
        expect(a[i]).toBe(removed);
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.5 / n);
    expect(moved / keys.length).toBeLessThan(1.5 / n);
  });

  it('adding a target takes about 1/(N+1) of the keys, only for itself', () => {
    const before = urls(9);
    const after = urls(10);
    const a = assign(new RingHash(before, before.map(() => 1)), before);
    const b = assign(new RingHash(after, after.map(() => 1)), after);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (a[i] !== b[i]) {
        moved++;
        expect(b[i]).toBe(after[9]);
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.05);
    expect(moved / keys.length).toBeLessThan(0.15);
  });

  it('does not depend on the order targets are listed in', () => {
    const t = urls(5);
    const reversed = [...t].reverse();
    expect(assign(new RingHash(reversed, reversed.map(() => 1)), reversed)).toEqual(assign(new RingHash(t, t.map(() => 1)), t));
  });

  it('gives targets key shares in proportion to their weights', () => {
    const t = urls(2);
    const owners = assign(new RingHash(t, [3, 1]), t);
    const share = owners.filter((o) => o === t[0]).length / keys.length;
    expect(share).toBeGreaterThan(0.68);
    expect(share).toBeLessThan(0.82);
  });

  it('moves keys of an ineligible target to the next one on the ring, and only those', () => {
    const t = urls(5);
    const ring = new RingHash(t, t.map(() => 1));
    const all = assign(ring, t);
    const without2 = assign(ring, t, Uint8Array.of(1, 1, 0, 1, 1));
    for (let i = 0; i < keys.length; i++) {
      if (all[i] !== t[2]) expect(without2[i]).toBe(all[i]);
      else expect(without2[i]).not.toBe(t[2]);
    }
    expect(ring.lookup(123, Uint8Array.of(0, 0, 0, 0, 0))).toBe(-1);
  });
});
