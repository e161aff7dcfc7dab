import { policiesOf } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { maskAuthPolicy, redactHeaders, redactUrl } from './redact.js';
import { testSigningKey } from './testing/index.js';

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

  it('masks HMAC secrets and key hashes in a policy shown by the deploy API, and private key parts wherever JWKs appear', () => {
    const hmac = testSigningKey('HS256', 'h');
    const rsa = testSigningKey('RS256', 'r');
    const policy = policiesOf({ auth: { apiKey: { keys: [{ sha256: 'a'.repeat(64), consumer: 'alice' }] }, jwt: { keys: [hmac.jwk, rsa.jwk] } } }).auth!;
    const masked = maskAuthPolicy(policy);
    expect(JSON.stringify(masked)).not.toContain(hmac.jwk.k!);
    expect(JSON.stringify(masked)).not.toMatch(/a{64}/);
    expect(masked.jwt!.keys[0]).toMatchObject({ kty: 'oct', kid: 'h', k: '[REDACTED]' });
    expect(masked.jwt!.keys[1]).toEqual(policy.jwt!.keys[1]);
    expect(masked.apiKey!.keys[0]!.sha256).toBe('aaaaaaaa…');
    expect(policy.jwt!.keys[0]!.k).toBe(hmac.jwk.k);
    // A policy holds no private key parts (the schema refuses them), but a JWKS document may.
    const jwks = { keys: [{ kty: 'RSA', n: 'pub', e: 'AQAB', d: 'private', p: 'x' }] };
    expect(maskAuthPolicy(jwks).keys[0]).toEqual({ kty: 'RSA', n: 'pub', e: 'AQAB', d: '[REDACTED]', p: '[REDACTED]' });
  });
});
