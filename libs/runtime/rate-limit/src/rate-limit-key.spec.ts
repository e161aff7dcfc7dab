import { policiesOf } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { rateLimitKey } from './rate-limit-key.js';

const facts = { clientIp: '203.0.113.9', headers: { 'x-tenant': 'acme', 'x-multi': ['a', 'b'] }, consumer: 'alice' };

describe('rateLimitKey', () => {
  it('keys on the client IP, a header or the consumer, in separate spaces', () => {
    expect(rateLimitKey({ by: 'ip' }, facts)).toBe('ip:203.0.113.9');
    // As configured: the schema lower-cases the header name, as Node does.
    const configured = policiesOf({ rateLimits: [{ name: 't', limit: 1, windowMs: 1, key: { by: 'header', name: 'X-Tenant' } }] }).rateLimits[0]!.key;
    expect(rateLimitKey(configured, facts)).toBe('h:acme');
    expect(rateLimitKey({ by: 'header', name: 'x-multi' }, facts)).toBe('h:a,b');
    expect(rateLimitKey({ by: 'consumer' }, facts)).toBe('c:alice');
  });

  it('falls back to the client IP when the header or the consumer is missing', () => {
    expect(rateLimitKey({ by: 'header', name: 'x-none' }, facts)).toBe('ip:203.0.113.9');
    expect(rateLimitKey({ by: 'header', name: 'x-tenant' }, { ...facts, headers: { 'x-tenant': '' } })).toBe('ip:203.0.113.9');
    expect(rateLimitKey({ by: 'consumer' }, { ...facts, consumer: undefined })).toBe('ip:203.0.113.9');
  });
});
