import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('widens the window after every delay, up to the cap', () => {
    const top = new Backoff({ baseMs: 100, capMs: 1_000 }, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(top.attempts).toBe(6);
  });

  it('keeps a floor when asked for one', () => {
    const bottom = new Backoff({ baseMs: 100, capMs: 1_000, floorMs: 50 }, () => 0);
    expect([1, 2, 3].map(() => bottom.next())).toEqual([50, 50, 50]);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1_000 }, () => 0.5);
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(50);
  });

  it('refuses bad options when built, not at the first outage', () => {
    expect(() => new Backoff({ baseMs: 100, capMs: Number.NaN })).toThrow(RangeError);
  });
});
