import { describe, expect, it } from 'vitest';
import { feedPosition, fromFeedPosition } from './feed-position.js';

describe('feedPosition', () => {
  it('orders by epoch first, then version, and round-trips', () => {
    const restored = feedPosition({ epoch: 2, version: 3 });
    expect(restored).toBeGreaterThan(feedPosition({ epoch: 1, version: 4_000_000_000 }));
    expect(feedPosition({ epoch: 1, version: 8 })).toBeGreaterThan(feedPosition({ epoch: 1, version: 7 }));
    expect(fromFeedPosition(restored)).toEqual({ epoch: 2, version: 3 });
    const far = { epoch: 2 ** 21 - 1, version: 2 ** 32 - 1 };
    expect(Number.isSafeInteger(feedPosition(far))).toBe(true);
    expect(fromFeedPosition(feedPosition(far))).toEqual(far);
  });
});
