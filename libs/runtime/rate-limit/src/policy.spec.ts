import type { ApiDefinitionInput } from '@gw/api-schema';
import { policiesOf } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { resolveRateLimitPolicy } from './policy.js';

type RateLimitInput = NonNullable<NonNullable<ApiDefinitionInput['policies']>['rateLimits']>[number];
/** One rate limit as operators write it, normalized by the real schema. */
const limitOf = (input: RateLimitInput) => policiesOf({ rateLimits: [input] }).rateLimits[0]!;

describe('resolveRateLimitPolicy', () => {
  it('runs the definition with the defaults the schema filled in (burst = limit, global, fail open, by client IP) and derives the GCRA parameters', () => {
    const p = resolveRateLimitPolicy(limitOf({ name: 'orders', limit: 100, windowMs: 60_000 }));
    expect(p).toMatchObject({ name: 'orders', burst: 100, scope: 'global', failureMode: 'open', key: { by: 'ip' }, emissionIntervalUs: 600_000, toleranceUs: 60_000_000 });
    expect(resolveRateLimitPolicy(limitOf({ name: 'o', limit: 1, windowMs: 1, key: { by: 'header', name: 'X-Tenant' } })).key).toEqual({ by: 'header', name: 'x-tenant' });
    expect(resolveRateLimitPolicy(limitOf({ name: 'o', limit: 10, windowMs: 1_000, burst: 3 }))).toMatchObject({ burst: 3, emissionIntervalUs: 100_000, toleranceUs: 300_000 });
  });

  it('counts under the id the runtime gives it', () => {
    const route = limitOf({ name: 'create', limit: 5, windowMs: 1_000 });
    expect(resolveRateLimitPolicy({ ...route, name: 'orders/checkout/create' }).name).toBe('orders/checkout/create');
  });

  // A limit the gateway cannot run never reaches the limiter: the schema refuses it (deploy API and runtime alike).
  it.each([
    [{ name: 'bad name!', limit: 1, windowMs: 1 }, /rateLimits\[0\]\.name/],
    [{ name: 'o', limit: 0, windowMs: 1 }, /rateLimits\[0\]\.limit/],
    [{ name: 'o', limit: 1.5, windowMs: 1 }, /rateLimits\[0\]\.limit/],
    [{ name: 'o', limit: 1, windowMs: 86_400_001 }, /rateLimits\[0\]\.windowMs/],
    [{ name: 'o', limit: 1, windowMs: 1, burst: 0 }, /rateLimits\[0\]\.burst/],
    [{ name: 'o', limit: 1, windowMs: 1, key: { by: 'header', name: 'bad header' } }, /rateLimits\[0\]\.key\.name/],
    [{ name: 'o', limit: 1, windowMs: 1, scope: 'zone' }, /rateLimits\[0\]\.scope/],
    [{ name: 'o', limit: 1, windowMs: 1, failureMode: 'maybe' }, /rateLimits\[0\]\.failureMode/],
  ])('the schema refuses %j', (input, why) => {
    expect(() => limitOf(input as RateLimitInput)).toThrow(why);
  });
});
