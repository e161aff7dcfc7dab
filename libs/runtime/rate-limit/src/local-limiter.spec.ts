import { describe, expect, it } from 'vitest';
import { LocalLimiter } from './local-limiter.js';

describe('LocalLimiter', () => {
  it('counts keys apart', () => {
    const l = new LocalLimiter({ emissionIntervalUs: 1000, toleranceUs: 1000 });
    expect(l.take('a', 0).allowed).toBe(true);
    expect(l.take('a', 0).allowed).toBe(false);
    expect(l.take('b', 0).allowed).toBe(true);
  });

  it('keeps at most maxKeys keys, dropping the least recently used', () => {
    const l = new LocalLimiter({ emissionIntervalUs: 1000, toleranceUs: 1000 }, 3);
    for (const k of ['a', 'b', 'c']) l.take(k, 0);
    l.take('a', 1000); // refreshes a
    l.take('d', 1000); // evicts b, the least recently used
    expect(l.size).toBe(3);
    expect(l.take('a', 1000).allowed).toBe(false);
    expect(l.take('b', 1000).allowed).toBe(true); // forgotten, so counted afresh
  });
});
