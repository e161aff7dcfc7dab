import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 100, maxMs: 1000 };

  it('doubles from initialMs, jittered between half and the full step', () => {
    expect([0, 1, 2].map((a) => backoffDelay(a, opts, () => 0))).toEqual([50, 100, 200]);
    expect([0, 1, 2].map((a) => backoffDelay(a, opts, () => 1))).toEqual([100, 200, 400]);
  });

  it('never exceeds maxMs, even after many attempts', () => {
    for (const attempt of [4, 10, 100, 10_000]) {
      expect(backoffDelay(attempt, opts, () => 1)).toBe(1000);
      expect(backoffDelay(attempt, opts, () => 0)).toBe(500);
    }
  });

  it('spreads replicas apart with Math.random by default', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, opts)));
    expect(delays.size).toBeGreaterThan(1);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});
