import type { ApiDefinitionInput } from '@gw/api-schema';
import { policiesOf } from '@gw/api-schema/testing';
import type { Logger } from '@gw/logging';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from './api-keys.js';
import { Authenticator, bearerToken } from './authenticator.js';
import { testSigningKey } from './testing/index.js';

/** An `auth` block as operators write it, normalized by the real schema. */
const authOf = (input: NonNullable<NonNullable<ApiDefinitionInput['policies']>['auth']>) => policiesOf({ auth: input }).auth!;

const NOW = 1_800_000_000;
const key = testSigningKey('ES256', 'es');
const token = (sub: string) => key.sign({ sub, aud: 'orders', exp: NOW + 60 });
const keys = [
  { sha256: hashApiKey('key-alice'), consumer: 'alice' },
  { sha256: hashApiKey('key-bob'), consumer: 'bob' },
];

describe('Authenticator', () => {
  it('answers 401 GW_AUTH_REQUIRED with a challenge per configured method when no credential comes', async () => {
    const auth = new Authenticator('orders', authOf({ apiKey: { keys }, jwt: { keys: [key.jwk], audiences: ['orders'] } }), { nowSec: () => NOW });
    expect(await auth.authenticate({ url: '/orders', headers: {} })).toEqual({
      ok: false, status: 401, code: 'GW_AUTH_REQUIRED', message: 'this API requires authentication',
      headers: { 'www-authenticate': ['Bearer realm="orders"', 'ApiKey realm="orders", header="x-api-key"'] },
    });
    // A non-Bearer Authorization is no JWT credential.
    expect(await auth.authenticate({ url: '/orders', headers: { authorization: 'Basic dTpw' } })).toMatchObject({ status: 401, code: 'GW_AUTH_REQUIRED' });
  });

  it('accepts an API key from its header and removes it before forwarding; refuses an unknown one', async () => {
    const auth = new Authenticator('orders', authOf({ apiKey: { keys } }));
    expect(await auth.authenticate({ url: '/orders/1', headers: { 'x-api-key': 'key-alice' } })).toEqual({ ok: true, consumer: 'alice', via: 'api-key', removeHeaders: ['x-api-key'], url: '/orders/1' });
    expect(await auth.authenticate({ url: '/orders/1', headers: { 'x-api-key': 'key-mallory' } })).toEqual({
      ok: false, status: 401, code: 'GW_AUTH_INVALID', message: 'invalid API key', headers: { 'www-authenticate': 'ApiKey realm="orders", header="x-api-key"' },
    });
    expect(await auth.authenticate({ url: '/orders/1', headers: { 'x-api-key': ['key-alice', 'key-bob'] } })).toMatchObject({ status: 401, code: 'GW_AUTH_INVALID' });
  });

  it('accepts an API key from a query parameter and strips it from the forwarded target', async () => {
    const auth = new Authenticator('orders', authOf({ apiKey: { keys, in: { query: 'api_key' } } }));
    expect(await auth.authenticate({ url: '/orders?x=1&api_key=key-bob', headers: {} })).toMatchObject({ ok: true, consumer: 'bob', url: '/orders?x=1', removeHeaders: [] });
    const forwarding = new Authenticator('orders', authOf({ apiKey: { keys, in: { query: 'api_key' }, forward: true } }));
    expect(await forwarding.authenticate({ url: '/orders?api_key=key-bob', headers: {} })).toMatchObject({ ok: true, url: '/orders?api_key=key-bob' });
  });

  it('revokes a key by redeploy: the authenticator built from the new definition refuses it', async () => {
    const before = new Authenticator('orders', authOf({ apiKey: { keys } }));
    const after = new Authenticator('orders', authOf({ apiKey: { keys: keys.filter((k) => k.consumer !== 'alice') } }));
    expect((await before.authenticate({ url: '/', headers: { 'x-api-key': 'key-alice' } })).ok).toBe(true);
    expect(await after.authenticate({ url: '/', headers: { 'x-api-key': 'key-alice' } })).toMatchObject({ ok: false, status: 401, code: 'GW_AUTH_INVALID' });
  });

  it('accepts a Bearer JWT (forwarded by default), refuses a bad one with RFC 6750 invalid_token', async () => {
    const auth = new Authenticator('orders', authOf({ jwt: { keys: [key.jwk], audiences: ['orders'] } }), { nowSec: () => NOW });
    expect(await auth.authenticate({ url: '/', headers: { authorization: `Bearer ${token('carol')}` } })).toMatchObject({ ok: true, consumer: 'carol', via: 'jwt', removeHeaders: [] });
    const expired = key.sign({ sub: 'carol', aud: 'orders', exp: NOW - 3600 });
    expect(await auth.authenticate({ url: '/', headers: { authorization: `bearer ${expired}` } })).toEqual({
      ok: false, status: 401, code: 'GW_AUTH_INVALID', message: 'invalid token: token expired',
      headers: { 'www-authenticate': 'Bearer realm="orders", error="invalid_token", error_description="token expired"' },
    });
    const stripping = new Authenticator('orders', authOf({ jwt: { keys: [key.jwk], forward: false } }), { nowSec: () => NOW });
    expect(await stripping.authenticate({ url: '/', headers: { authorization: `Bearer ${token('carol')}` } })).toMatchObject({ ok: true, removeHeaders: ['authorization'] });
  });

  it('names the realm given as an option in its challenges (default: the API name)', async () => {
    const auth = new Authenticator('orders', authOf({ apiKey: { keys, in: { header: 'x-orders-key' } }, jwt: { keys: [key.jwk] } }), { realm: 'Orders API', nowSec: () => NOW });
    expect(await auth.authenticate({ url: '/', headers: {} })).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': ['Bearer realm="Orders API"', 'ApiKey realm="Orders API", header="x-orders-key"'] },
    });
    expect(await auth.authenticate({ url: '/', headers: { 'x-orders-key': 'key-mallory' } })).toMatchObject({ headers: { 'www-authenticate': 'ApiKey realm="Orders API", header="x-orders-key"' } });
  });

  it('answers 403 GW_FORBIDDEN for a valid consumer that is not on the allow-list', async () => {
    const auth = new Authenticator('orders', authOf({ apiKey: { keys }, jwt: { keys: [key.jwk] }, allowConsumers: ['alice', 'carol'] }), { nowSec: () => NOW });
    expect((await auth.authenticate({ url: '/', headers: { 'x-api-key': 'key-alice' } })).ok).toBe(true);
    expect(await auth.authenticate({ url: '/', headers: { 'x-api-key': 'key-bob' } })).toEqual({ ok: false, status: 403, code: 'GW_FORBIDDEN', message: 'this consumer may not call this API', headers: {} });
    expect(await auth.authenticate({ url: '/', headers: { authorization: `Bearer ${token('dave')}` } })).toMatchObject({ status: 403 });
  });

  it('never logs a credential, whatever happens to it', async () => {
    // Every field as text, an error's message and stack included: no redaction here, so a
    // credential under any key would show.
    const lines: string[] = [];
    const asText = (_key: string, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack, cause: v.cause } : v);
    const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push(JSON.stringify({ level, ...fields, msg }, asText));
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
    const auth = new Authenticator(
      'orders',
      authOf({ apiKey: { keys }, jwt: { keys: [key.jwk], jwksUrl: 'http://127.0.0.1:9/keys?token=jwks-token' }, allowConsumers: ['alice'] }),
      { logger, nowSec: () => NOW },
    );
    const expired = key.sign({ sub: 'carol', exp: NOW - 3600 });
    for (const headers of [{ 'x-api-key': 'key-alice' }, { 'x-api-key': 'key-bob' }, { 'x-api-key': 'key-mallory' }, { authorization: `Bearer ${expired}` }, { authorization: `Bearer ${token('carol')}` }]) {
      await auth.authenticate({ url: '/', headers });
    }
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of ['key-alice', 'key-bob', 'key-mallory', expired, token('carol').split('.')[2]!, 'jwks-token']) expect(log).not.toContain(secret);
  });

  it('parses Bearer credentials strictly', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('Bearer  abc')).toBe('abc');
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(['Bearer a'])).toBeUndefined();
  });
});
