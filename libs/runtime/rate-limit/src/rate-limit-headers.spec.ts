import { policiesOf } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { resolveRateLimitPolicy } from './policy.js';
import { rateLimitOutcome } from './rate-limit-headers.js';
import type { RateLimitDecision } from './rate-limiter.js';

// Named by the ids the runtime counts them under.
const [apiLimit, routeLimit] = policiesOf({ rateLimits: [{ name: 'orders', limit: 100, windowMs: 60_000 }, { name: 'create', limit: 5, windowMs: 1_500 }] }).rateLimits;
const api = resolveRateLimitPolicy(apiLimit!);
const route = resolveRateLimitPolicy({ ...routeLimit!, name: 'orders/create' });
const ok = (remaining: number, resetMs: number): RateLimitDecision => ({ allowed: true, limit: 0, remaining, resetMs, retryAfterMs: 0, source: 'redis', unavailable: false });

describe('rateLimitOutcome', () => {
  it('advertises every policy in the draft-ietf-httpapi-ratelimit-headers form and lets the request on', () => {
    const out = rateLimitOutcome([{ policy: api, decision: ok(42, 11_200) }, { policy: route, decision: ok(4, 300) }]);
    expect(out.reject).toBeUndefined();
    expect(out.headers).toEqual({
      'ratelimit-policy': '"orders";q=100;w=60, "orders/create";q=5;w=2',
      ratelimit: '"orders";r=42;t=12, "orders/create";r=4;t=1',
    });
  });

  it('answers 429 with the longest Retry-After (whole seconds, at least 1) when any policy is exhausted', () => {
    const out = rateLimitOutcome([
      { policy: api, decision: { ...ok(0, 5000), allowed: false, retryAfterMs: 2_100 } },
      { policy: route, decision: { ...ok(0, 100), allowed: false, retryAfterMs: 10 } },
    ]);
    expect(out.reject).toMatchObject({ status: 429, code: 'GW_RATE_LIMITED' });
    expect(out.headers['retry-after']).toBe('3');
    expect(out.headers['ratelimit']).toBe('"orders";r=0;t=5, "orders/create";r=0;t=1');
  });

  it('answers 503 GW_RATE_LIMIT_UNAVAILABLE when a fail-closed policy could not decide', () => {
    const out = rateLimitOutcome([
      { policy: api, decision: ok(3, 100) },
      { policy: route, decision: { ...ok(0, 0), allowed: false, source: 'none', unavailable: true } },
    ]);
    expect(out.reject).toMatchObject({ status: 503, code: 'GW_RATE_LIMIT_UNAVAILABLE' });
    expect(out.headers).toEqual({ 'ratelimit-policy': '"orders";q=100;w=60', ratelimit: '"orders";r=3;t=1', 'retry-after': '1' });
  });
});
