import { describe, expect, it } from 'vitest';
import { maskAuthPolicy, redactHeaders, redactUrl } from './redact.js';

describe('redaction', () => {
  it('hides credential header values, keeping names', () => {
    expect(redactHeaders({ authorization: 'Bearer eyJ.x.y', 'x-api-key': 'k', 'x-my-key': 'k2', cookie: 'sid=1', accept: '*/*' }, ['X-My-Key'])).toEqual({
      authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', 'x-my-key': '[REDACTED]', cookie: '[REDACTED]', accept: '*/*',
    });
  });

  it('hides credential query parameters', () => {
    expect(redactUrl('/a?x=1&api_key=s3cret')).toBe('/a?x=1&api_key=[REDACTED]');
    expect(redactUrl('/a?k=s3cret', ['k'])).toBe('/a?k=[REDACTED]');
    expect(redactUrl('/a?x=1')).toBe('/a?x=1');
    expect(redactUrl('/a?access_token=t&x=1')).not.toContain('=t&');
  });

  it('masks HMAC secrets, private key parts and key hashes in a policy shown by the deploy API', () => {
    const policy = {
      apiKey: { keys: [{ sha256: 'a'.repeat(64), consumer: 'alice' }] },
      jwt: { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }, { kty: 'RSA', n: 'pub', e: 'AQAB', d: 'private', p: 'x' }] },
    };
    const masked = maskAuthPolicy(policy);
    expect(JSON.stringify(masked)).not.toMatch(/c2VjcmV0|private|a{64}/);
    expect(masked.jwt.keys[1]).toMatchObject({ n: 'pub', e: 'AQAB', d: '[REDACTED]' });
    expect(masked.apiKey.keys[0]!.sha256).toBe('aaaaaaaa…');
    expect(policy.jwt.keys[0]!.k).toBe('c2VjcmV0');
  });
});
