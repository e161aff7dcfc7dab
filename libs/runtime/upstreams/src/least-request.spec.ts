import { describe, expect, it } from 'vitest';
import { pickLeastRequest } from './least-request.js';

/** A fixed sequence of "random" numbers. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('pickLeastRequest (power of two choices)', () => {
  const scratch = new Int32Array(4);
  const weights = Float64Array.of(1, 1, 1, 1);

  it('of the two drawn, takes the one with fewer requests in flight', () => {
    const active = Int32Array.of(5, 0, 9, 1);
    // First draw: floor(r × 4); second: floor(r × 3) over the others.
    expect(pickLeastRequest(Uint8Array.of(1, 1, 1, 1), active, weights, seq(0.1, 0.9), scratch)).toBe(0); // 0 (5) vs 2 (9)
    expect(pickLeastRequest(Uint8Array.of(1, 1, 1, 1), active, weights, seq(0.8, 0.0), scratch)).toBe(3); // 3 (1) vs 0 (5)
    expect(pickLeastRequest(Uint8Array.of(1, 1, 1, 1), active, weights, seq(0.3, 0.0), scratch)).toBe(1); // 1 (0) vs 0 (5)
  });
  it('always draws two distinct candidates', () => {
    const active = Int32Array.of(0, 7, 0, 0);
    // First draw = index 1; the second draw would also land on 1 and is moved to the last candidate.
    expect(pickLeastRequest(Uint8Array.of(1, 1, 1, 1), active, weights, seq(0.3, 0.4), scratch)).toBe(3);
  });
  it('only draws eligible targets; -1 without any; the only one when alone', () => {
    const active = Int32Array.of(0, 100, 0, 100);
    for (let i = 0; i < 20; i++) {
      expect([1, 3]).toContain(pickLeastRequest(Uint8Array.of(0, 1, 0, 1), active, weights, Math.random, scratch));
    }
    expect(pickLeastRequest(Uint8Array.of(0, 0, 0, 0), active, weights, Math.random, scratch)).toBe(-1);
    expect(pickLeastRequest(Uint8Array.of(0, 0, 1, 0), active, weights, Math.random, scratch)).toBe(2);
  });
  it('weighs requests in flight by target weight', () => {
    // 4 in flight on weight 4 is lighter than 2 on weight 1.
    expect(pickLeastRequest(Uint8Array.of(1, 1), Int32Array.of(4, 2), Float64Array.of(4, 1), seq(0.0, 0.0), new Int32Array(2))).toBe(0);
  });
  it('sends most traffic away from a busy target under random draws', () => {
    const active = Int32Array.of(50, 0, 0, 0);
    let busy = 0;
    for (let i = 0; i < 1_000; i++) if (pickLeastRequest(Uint8Array.of(1, 1, 1, 1), active, weights, Math.random, scratch) === 0) busy++;
    expect(busy).toBe(0);
  });
});
