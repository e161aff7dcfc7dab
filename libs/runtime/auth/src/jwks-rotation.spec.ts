import { createServer, type Server } from 'node:http';
import type { ApiDefinitionInput } from '@gw/api-schema';
import { policiesOf } from '@gw/api-schema/testing';
import { recordingLogger } from '@gw/logging/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeServer } from '@gw/test-kit';
import { JwksCache, JwksCacheRegistry } from './jwks-cache.js';
import { JwtVerifier } from './jwt-verifier.js';
import { testSigningKey, type TestSigningKey } from './testing/index.js';

/** A `jwt` block as operators write it, normalized by the real schema. */
const jwtOf = (input: NonNullable<NonNullable<NonNullable<ApiDefinitionInput['policies']>['auth']>['jwt']>) => policiesOf({ auth: { jwt: input } }).auth!.jwt!;

/** A JWKS endpoint on a real socket whose key set and health the test controls. */
async function jwksServer(initial: TestSigningKey[]) {
  const state = { keys: initial, status: 200, hits: 0, body: undefined as string | undefined };
  const server: Server = createServer((req, res) => {
    state.hits++;
    const body = state.body ?? JSON.stringify({ keys: state.keys.map((k) => k.jwk) });
    res.writeHead(state.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
  const close = () => closeServer(server);
  return { state, url, close };
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const exp = () => Math.floor(Date.now() / 1000) + 300;

describe('JWT keys from a JWKS URL', () => {
  it('follows a key rotation: a token with a new kid triggers a refresh; the retired key stops working', async () => {
    const oldKey = testSigningKey('RS256', 'key-2025');
    const newKey = testSigningKey('ES256', 'key-2026');
    const jwks = await jwksServer([oldKey]);
    servers.push(jwks);
    const v = new JwtVerifier(jwtOf({ jwksUrl: jwks.url, audiences: ['orders'] }), { jwks: new JwksCacheRegistry({ minRefreshIntervalMs: 0 }) });

    expect(await v.verify(oldKey.sign({ sub: 'alice', aud: 'orders', exp: exp() }))).toMatchObject({ ok: true, consumer: 'alice' });
    expect(jwks.state.hits).toBe(1);
    // Cached: a second token costs no fetch.
    expect((await v.verify(oldKey.sign({ sub: 'bob', aud: 'orders', exp: exp() }))).ok).toBe(true);
    expect(jwks.state.hits).toBe(1);

    jwks.state.keys = [newKey];
    expect(await v.verify(newKey.sign({ sub: 'carol', aud: 'orders', exp: exp() }))).toMatchObject({ ok: true, consumer: 'carol' });
    expect(jwks.state.hits).toBe(2);
    expect(await v.verify(oldKey.sign({ sub: 'alice', aud: 'orders', exp: exp() }))).toMatchObject({ ok: false, reason: 'no key for this token' });
  });

  it('rate-limits refreshes: a flood of unknown kids costs one fetch per interval, shared by concurrent callers', async () => {
    const key = testSigningKey('RS256', 'k1');
    const jwks = await jwksServer([key]);
    servers.push(jwks);
    const v = new JwtVerifier(jwtOf({ jwksUrl: jwks.url }), { jwks: new JwksCacheRegistry({ minRefreshIntervalMs: 60_000 }) });
    await v.prefetch();
    expect(jwks.state.hits).toBe(1);
    const forged = Array.from({ length: 20 }, (_, i) => testSigningKey('HS256', `made-up-${i}`).sign({ sub: 'x', exp: exp() }, { alg: 'RS256' }));
    const results = await Promise.all(forged.map((t) => v.verify(t)));
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(jwks.state.hits).toBe(1);
    expect((await v.verify(key.sign({ sub: 'ok', exp: exp() }))).ok).toBe(true);
  });

  it('coalesces the first fetch of concurrent requests, and answers "unavailable" while no key set was ever loaded', async () => {
    const key = testSigningKey('RS256', 'k1');
    const jwks = await jwksServer([key]);
    servers.push(jwks);
    jwks.state.status = 503;
    const registry = new JwksCacheRegistry({ minRefreshIntervalMs: 0 });
    const v = new JwtVerifier(jwtOf({ jwksUrl: jwks.url }), { jwks: registry });
    expect(await v.verify(key.sign({ sub: 'a', exp: exp() }))).toEqual({ ok: false, reason: 'signing keys unavailable', unavailable: true });

    jwks.state.status = 200;
    jwks.state.hits = 0;
    const results = await Promise.all(Array.from({ length: 10 }, () => v.verify(key.sign({ sub: 'a', exp: exp() }))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(jwks.state.hits).toBe(1);

    // Once loaded, an outage of the JWKS endpoint keeps the last good keys.
    jwks.state.status = 500;
    expect(registry.get(jwks.url).ready).toBe(true);
    expect((await v.verify(key.sign({ sub: 'a', exp: exp() }))).ok).toBe(true);
  });

  it('refuses oversized or malformed key sets, keeping what it had, and skips unusable keys', async () => {
    const good = testSigningKey('RS256', 'good');
    const jwks = await jwksServer([good]);
    servers.push(jwks);
    jwks.state.body = JSON.stringify({ keys: [{ kty: 'oct', k: 'c2hvcnQ', kid: 'weak' }, good.jwk] });
    const cache = new JwksCache({ url: jwks.url, minRefreshIntervalMs: 0 });
    expect((await cache.candidates(undefined))?.map((k) => k.kid)).toEqual(['good']);
    jwks.state.body = JSON.stringify({ keys: [], padding: 'x'.repeat(300_000) });
    await cache.refresh();
    expect((await cache.candidates('good'))?.length).toBe(1);
    jwks.state.body = '{"not":"jwks"}';
    await cache.refresh();
    expect((await cache.candidates('good'))?.length).toBe(1);
  });

  it('logs each key it skips without its members, and imports a fetched set once, not per request', async () => {
    const good = testSigningKey('ES256', 'good');
    const hmac = testSigningKey('HS256', 'hmac');
    const jwks = await jwksServer([good]);
    servers.push(jwks);
    jwks.state.body = JSON.stringify({ keys: [{ kty: 'oct', k: 'c2hvcnQ', kid: 'weak' }, { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, good.jwk, hmac.jwk] });
    const logger = recordingLogger();
    const v = new JwtVerifier(jwtOf({ jwksUrl: `${jwks.url}?token=s3cret` }), { jwks: new JwksCacheRegistry({ logger }) });
    await v.prefetch();
    const skipped = logger.lines().filter((l) => l.includes('key skipped'));
    expect(skipped).toHaveLength(2);
    expect(skipped.join('')).toMatch(/at least 256 bits/);
    expect(logger.lines().join('')).not.toMatch(/c2hvcnQ|s3cret/);

    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    try {
      for (const key of [good, hmac, good, hmac]) expect((await v.verify(key.sign({ sub: 'a', exp: exp() }))).ok).toBe(true);
      expect(importKey).not.toHaveBeenCalled();
    } finally {
      importKey.mockRestore();
    }
    expect(jwks.state.hits).toBe(1);
  });
});
