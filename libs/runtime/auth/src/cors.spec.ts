import type { ApiDefinitionInput } from '@gw/api-schema';
import { policiesOf } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { corsDecision, resolveCorsPolicy } from './cors.js';

/** A `cors` block as operators write it, normalized by the real schema. */
const corsOf = (input: NonNullable<NonNullable<ApiDefinitionInput['policies']>['cors']>) => policiesOf({ cors: input }).cors!;

const policy = resolveCorsPolicy(
  corsOf({
    allowOrigins: ['https://app.example.com', 'https://*.shop.example'],
    allowHeaders: ['Authorization', 'X-Request-Id'],
    exposeHeaders: ['RateLimit', 'Retry-After'],
    allowCredentials: true,
    maxAgeSec: 300,
  }),
);

describe('corsDecision', () => {
  it('does nothing for a request without Origin', () => {
    expect(corsDecision(policy, 'GET', {})).toEqual({ kind: 'none' });
  });

  it('allows a preflight for an allowed origin, method and headers, echoing the origin', () => {
    const d = corsDecision(policy, 'OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type' });
    expect(d).toEqual({
      kind: 'preflight-allowed',
      headers: {
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '300',
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    });
    expect(corsDecision(policy, 'OPTIONS', { origin: 'https://eu.shop.example', 'access-control-request-method': 'GET' }).kind).toBe('preflight-allowed');
  });

  it('rejects a preflight from another origin, for another method or header', () => {
    const base = { 'access-control-request-method': 'GET' };
    expect(corsDecision(policy, 'OPTIONS', { ...base, origin: 'https://evil.example' })).toMatchObject({ kind: 'preflight-rejected', reason: 'origin not allowed' });
    expect(corsDecision(policy, 'OPTIONS', { ...base, origin: 'https://evilshop.example' })).toMatchObject({ kind: 'preflight-rejected' });
    expect(corsDecision(policy, 'OPTIONS', { ...base, origin: 'http://app.example.com' })).toMatchObject({ kind: 'preflight-rejected' });
    expect(corsDecision(policy, 'OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'PURGE' })).toMatchObject({ kind: 'preflight-rejected', reason: 'method PURGE not allowed' });
    expect(corsDecision(policy, 'OPTIONS', { ...base, origin: 'https://app.example.com', 'access-control-request-headers': 'x-admin' })).toMatchObject({ kind: 'preflight-rejected', reason: 'header x-admin not allowed' });
  });

  it('treats OPTIONS without Access-Control-Request-Method as an actual request (forwarded)', () => {
    expect(corsDecision(policy, 'OPTIONS', { origin: 'https://app.example.com' }).kind).toBe('actual');
  });

  it('adds origin, credentials, exposed headers and Vary to an actual request; nothing but Vary for a refused origin', () => {
    expect(corsDecision(policy, 'GET', { origin: 'https://app.example.com' })).toEqual({
      kind: 'actual',
      headers: { 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'ratelimit, retry-after', vary: 'Origin' },
    });
    expect(corsDecision(policy, 'GET', { origin: 'https://evil.example' })).toEqual({ kind: 'actual', headers: { vary: 'Origin' } });
  });

  it('answers "*" for any origin without credentials, never for Origin: null', () => {
    const open = resolveCorsPolicy(corsOf({ allowOrigins: ['*'] }));
    expect(corsDecision(open, 'GET', { origin: 'https://x.example' })).toEqual({ kind: 'actual', headers: { 'access-control-allow-origin': '*' } });
    expect(corsDecision(open, 'GET', { origin: 'null' })).toEqual({ kind: 'actual', headers: {} });
  });

  it('matches subdomains of a wildcard origin, with its scheme and port', () => {
    const ported = resolveCorsPolicy(corsOf({ allowOrigins: ['https://*.example.com:8443'] }));
    expect(ported.originSuffixes).toEqual([{ scheme: 'https', suffix: '.example.com:8443' }]);
    expect(corsDecision(ported, 'GET', { origin: 'https://a.b.example.com:8443' })).toMatchObject({ kind: 'actual', headers: { 'access-control-allow-origin': 'https://a.b.example.com:8443' } });
    expect(corsDecision(ported, 'GET', { origin: 'https://a.example.com' })).toEqual({ kind: 'actual', headers: { vary: 'Origin' } });
    expect(corsDecision(ported, 'GET', { origin: 'http://a.example.com:8443' })).toEqual({ kind: 'actual', headers: { vary: 'Origin' } });
  });

  it('never runs a policy that cannot be safe or is malformed: the schema refuses it', () => {
    expect(() => corsOf({ allowOrigins: ['*'], allowCredentials: true })).toThrow(/cors\.allowCredentials.*explicit origins/);
    expect(() => corsOf({ allowOrigins: ['https://x.example/path'] })).toThrow(/cors\.allowOrigins\[0\].*must be an origin/);
    expect(() => corsOf({ allowOrigins: [] })).toThrow(/cors\.allowOrigins.*at least 1 item/);
  });
});
