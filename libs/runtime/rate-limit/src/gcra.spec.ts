import { describe, expect, it } from 'vitest';
import { gcraStep } from './gcra.js';

// 10 per second: T = 100 ms; burst 3: τ = 300 ms. Times below are in ms, scaled to µs.
const params = { emissionIntervalUs: 100_000, toleranceUs: 300_000 };
const US = 1000;

function run(times: number[], cost = 1) {
  let tat: number | undefined;
  return times.map((now) => {
    const r = gcraStep(tat, now * US, params, cost);
    tat = r.tat;
    return r;
  });
}

describe('gcraStep', () => {
  it('lets a burst through at once, then one request per emission interval', () => {
    const r = run([0, 0, 0, 0, 50, 100, 100, 200]);
    expect(r.map((x) => x.allowed)).toEqual([true, true, true, false, false, true, false, true]);
    expect(r.map((x) => x.remaining)).toEqual([2, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('says how long to wait: a denied request passes exactly after retryAfterMs', () => {
    const [, , , denied] = run([0, 0, 0, 0]);
    expect(denied!.retryAfterUs).toBe(100 * US);
    expect(denied!.resetUs).toBe(300 * US);
    const again = run([0, 0, 0, 99.9, 100]);
    expect(again.map((x) => x.allowed)).toEqual([true, true, true, false, true]);
  });

  it('refills over time to the full burst, never beyond', () => {
    const r = run([0, 0, 0, 10_000, 10_000, 10_000, 10_000]);
    expect(r.slice(3).map((x) => x.allowed)).toEqual([true, true, true, false]);
  });

  it('charges a cost of n as n requests, and a cost above the burst never passes', () => {
    expect(run([0, 0], 2).map((x) => x.allowed)).toEqual([true, false]);
    expect(gcraStep(undefined, 0, params, 4).allowed).toBe(false);
  });

  it('is exact with a fractional local clock', () => {
    const p = { emissionIntervalUs: 60_000_000, toleranceUs: 60_000_000 };
    const now = 1234.5678 * US;
    const first = gcraStep(undefined, now, p);
    expect(first.allowed).toBe(true);
    expect(gcraStep(first.tat, now, p).allowed).toBe(false);
    expect(gcraStep(first.tat, now + 60_000_000, p).allowed).toBe(true);
  });

  it('accepts at most burst + elapsed / T requests in any run (the limit holds)', () => {
    let tat: number | undefined;
    let accepted = 0;
    for (let now = 0; now < 1000; now += 7) {
      for (let i = 0; i < 5; i++) {
        const r = gcraStep(tat, now * US, params);
        tat = r.tat;
        if (r.allowed) accepted++;
      }
    }
    expect(accepted).toBeLessThanOrEqual(3 + 1000 / 100);
    expect(accepted).toBeGreaterThanOrEqual(3 + 990 / 100 - 1);
  });
});
