import { describe, expect, it } from 'vitest';
import { resolveRateLimitPolicy } from './policy.js';

describe('resolveRateLimitPolicy', () => {
  it('fills the defaults: burst = limit, global, fail open, by client IP', () => {
    const p = resolveRateLimitPolicy({ name: 'orders', limit: 100, windowMs: 60_000 });
    expect(p).toMatchObject({ burst: 100, scope: 'global', failureMode: 'open', key: { by: 'ip' }, emissionIntervalUs: 600_000, toleranceUs: 60_000_000 });
    expect(resolveRateLimitPolicy({ name: 'o', limit: 1, windowMs: 1, key: { by: 'header', name: 'X-Tenant' } }).key).toEqual({ by: 'header', name: 'x-tenant' });
  });

  it.each([
    [{ name: 'bad name!', limit: 1, windowMs: 1 }, /name/],
    [{ name: 'o', limit: 0, windowMs: 1 }, /limit/],
    [{ name: 'o', limit: 1.5, windowMs: 1 }, /limit/],
    [{ name: 'o', limit: 1, windowMs: 86_400_001 }, /windowMs/],
    [{ name: 'o', limit: 1, windowMs: 1, burst: 0 }, /burst/],
    [{ name: 'o', limit: 1, windowMs: 1, key: { by: 'header', name: 'bad header' } }, /key.name/],
    [{ name: 'o', limit: 1, windowMs: 1, scope: 'zone' }, /scope/],
    [{ name: 'o', limit: 1, windowMs: 1, failureMode: 'maybe' }, /failureMode/],
  ])('rejects %j', (policy, why) => {
    expect(() => resolveRateLimitPolicy(policy as never)).toThrow(why);
  });
});
