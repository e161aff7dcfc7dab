import { describe, expect, it } from 'vitest';
import { SETTLE_GROWTH_MIN_BYTES, heapGrewEnough } from './settle-compaction.js';

const MiB = 1024 * 1024;

describe('heapGrewEnough', () => {
  it('asks for a compaction only once the committed heap grew by half of what it was after the last one, and by 32 MiB at least', () => {
    // 10,000 APIs: ~46 MiB committed after a compaction; the floor decides.
    expect(heapGrewEnough(46 * MiB + SETTLE_GROWTH_MIN_BYTES - 1, 46 * MiB)).toBe(false);
    expect(heapGrewEnough(46 * MiB + SETTLE_GROWTH_MIN_BYTES, 46 * MiB)).toBe(true);
    // A larger heap: half of it decides.
    expect(heapGrewEnough(300 * MiB - 1, 200 * MiB)).toBe(false);
    expect(heapGrewEnough(300 * MiB, 200 * MiB)).toBe(true);
    // Shrunk or unchanged: never.
    expect(heapGrewEnough(40 * MiB, 46 * MiB)).toBe(false);
    expect(heapGrewEnough(46 * MiB, 46 * MiB)).toBe(false);
  });
});
