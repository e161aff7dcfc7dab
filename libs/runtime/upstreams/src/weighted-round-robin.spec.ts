import { describe, expect, it } from 'vitest';
import { WeightedRoundRobin } from './weighted-round-robin.js';

function counts(rr: WeightedRoundRobin<string>, picks: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < picks; i++) {
    const k = rr.pick();
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('WeightedRoundRobin', () => {
  it('splits 400 picks over weights 3:1 exactly 300:100', () => {
    expect(counts(new WeightedRoundRobin(['a', 'b'], [3, 1]), 400)).toEqual({ a: 300, b: 100 });
  });
  it('interleaves instead of bursting (smooth)', () => {
    const rr = new WeightedRoundRobin(['a', 'b', 'c'], [5, 1, 1]);
    expect(Array.from({ length: 7 }, () => rr.pick()).join('')).toBe('aabacaa');
  });
  it('is a plain rotation for equal weights', () => {
    const rr = new WeightedRoundRobin(['a', 'b', 'c'], [1, 1, 1]);
    expect(Array.from({ length: 6 }, () => rr.pick()).join('')).toBe('abcabc');
  });
  it('gives every pick to a single item', () => {
    expect(counts(new WeightedRoundRobin(['only'], [7]), 10)).toEqual({ only: 10 });
  });
  it('refuses empty lists and non-positive weights', () => {
    expect(() => new WeightedRoundRobin([], [])).toThrow();
    expect(() => new WeightedRoundRobin(['a'], [0])).toThrow();
    expect(() => new WeightedRoundRobin(['a', 'b'], [1])).toThrow();
  });
  it('picks only eligible items, in their weight ratio, and -1 when none is', () => {
    const rr = new WeightedRoundRobin(['a', 'b', 'c'], [2, 1, 1]);
    const mask = Uint8Array.of(1, 0, 1);
    const seen: Record<number, number> = {};
    for (let i = 0; i < 300; i++) {
      const k = rr.pickIndex(mask);
      seen[k] = (seen[k] ?? 0) + 1;
    }
    expect(seen).toEqual({ 0: 200, 2: 100 });
    expect(rr.pickIndex(Uint8Array.of(0, 0, 0))).toBe(-1);
    expect(new WeightedRoundRobin(['x'], [1]).pickIndex(Uint8Array.of(0))).toBe(-1);
  });
});
