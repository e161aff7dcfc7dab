import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff-delay.js';

const opts = { baseMs: 25, capMs: 250 };
const top = () => 0.999_999;

describe('backoffCeiling', () => {
  it('doubles from baseMs with every attempt until capMs', () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffCeiling(a, opts))).toEqual([25, 50, 100, 200, 250, 250]);
    expect([0, 1, 2, 3].map((a) => backoffCeiling(a, { baseMs: 100, capMs: 1_000 }))).toEqual([100, 200, 400, 800]);
  });

  it('stays finite and at capMs for huge attempts, including a 0 base (no Infinity or NaN)', () => {
    for (const attempt of [30, 64, 1_023, 1_024, 10_000, Number.MAX_SAFE_INTEGER, Infinity]) {
      expect(backoffCeiling(attempt, opts)).toBe(250);
      expect(backoffCeiling(attempt, { baseMs: 0, capMs: 250 })).toBe(0);
      expect(backoffCeiling(attempt, { baseMs: 1e300, capMs: 5_000 })).toBe(5_000);
    }
  });

  it('treats a negative, NaN or fractional attempt as the attempt below it, never above', () => {
    expect(backoffCeiling(-3, opts)).toBe(25);
    expect(backoffCeiling(Number.NaN, opts)).toBe(25);
    expect(backoffCeiling(2.9, opts)).toBe(100);
  });

  it('refuses options that would make every delay meaningless', () => {
    expect(() => backoffCeiling(0, { baseMs: -1, capMs: 10 })).toThrow(RangeError);
    expect(() => backoffCeiling(0, { baseMs: 1, capMs: Infinity })).toThrow(/capMs must be a finite number/);
    expect(() => backoffCeiling(0, { baseMs: Number.NaN, capMs: 10 })).toThrow(/baseMs/);
    expect(() => backoffCeiling(0, { baseMs: 1, capMs: 10, floorMs: -5 })).toThrow(/floorMs/);
  });
});

describe('backoffDelay (full jitter)', () => {
  it('draws a whole number of ms in [0, ceiling) from random', () => {
    expect(backoffDelay(0, opts, top)).toBe(24);
    expect(backoffDelay(1, opts, top)).toBe(49);
    expect(backoffDelay(2, opts, () => 0.5)).toBe(50);
    expect(backoffDelay(9, opts, top)).toBe(249);
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
  });

  it('never exceeds capMs, even for a random that breaks its contract by returning 1', () => {
    for (const attempt of [4, 10, 100, 10_000]) {
      expect(backoffDelay(attempt, opts, top)).toBeLessThan(250);
      expect(backoffDelay(attempt, opts, () => 1)).toBe(250);
    }
  });

  it('spreads delays over the whole window with Math.random by default', () => {
    const delays = Array.from({ length: 400 }, () => backoffDelay(3, { baseMs: 100, capMs: 1_000 }));
    for (const d of delays) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
    // Full jitter, not "equal jitter": the lower half of the window is used as much as the upper.
    // 400 uniform draws put fewer than 120 in either half with probability below 1e-15.
    expect(delays.filter((d) => d < 400).length).toBeGreaterThan(120);
    expect(delays.filter((d) => d >= 400).length).toBeGreaterThan(120);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });

  it('raises a draw below floorMs to the floor, and the floor never above capMs', () => {
    const floored = { baseMs: 200, capMs: 5_000, floorMs: 100 };
    expect(backoffDelay(0, floored, () => 0)).toBe(100);
    expect(backoffDelay(0, floored, () => 0.25)).toBe(100);
    expect(backoffDelay(0, floored, () => 0.75)).toBe(150);
    expect(backoffDelay(5, floored, () => 0)).toBe(100);
    expect(backoffDelay(0, { baseMs: 10, capMs: 50, floorMs: 80 }, () => 0)).toBe(50);
  });
});
