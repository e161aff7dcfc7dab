import { describe, expect, it } from 'vitest';
import { RetryConditions, isRetryableRequest } from './retry-policy.js';

describe('isRetryableRequest', () => {
  it('allows idempotent methods, and others only with an Idempotency-Key', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']) expect(isRetryableRequest(m, undefined)).toBe(true);
    for (const m of ['POST', 'PATCH', 'CONNECT']) expect(isRetryableRequest(m, undefined)).toBe(false);
    expect(isRetryableRequest('POST', 'k-1')).toBe(true);
    expect(isRetryableRequest('POST', '  ')).toBe(false);
  });
});

describe('RetryConditions', () => {
  it('reads failures and statuses from retries.on', () => {
    const on = new RetryConditions(['connect-failure', 'reset', '502', '503']);
    expect([on.failure('connect-failure'), on.failure('reset'), on.failure('timeout')]).toEqual([true, true, false]);
    expect([on.status(502), on.status(503), on.status(504), on.status(500)]).toEqual([true, true, false, false]);
    expect(new RetryConditions(['timeout']).failure('timeout')).toBe(true);
  });
});
