import { describe, expect, it } from 'vitest';
import { fleetPoolMax } from './fleet-pool.js';

describe('fleetPoolMax', () => {
  it('is a bounded share beside DB_POOL_MAX: 1 for a small pool, 2 from 10 on, never more', () => {
    expect([1, 5, 9, 10, 50, 1_000].map(fleetPoolMax)).toEqual([1, 1, 1, 2, 2, 2]);
  });
});
