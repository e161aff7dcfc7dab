import { createHmac, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { ApiDefinitionInput, Jwk } from '@gw/api-schema';
import { policiesOf } from '@gw/api-schema/testing';
import type { Logger } from '@gw/logging';
import { recordingLogger } from '@gw/logging/testing';
import { jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JwtVerifier } from './jwt-verifier.js';
import { signCompact, signWith, testSigningKey } from './testing/index.js';

type JwtInput = NonNullable<NonNullable<NonNullable<ApiDefinitionInput['policies']>['auth']>['jwt']>;
/** A `jwt` block as operators write it, normalized by the real schema (which throws for one the gateway refuses). */
const jwtOf = (input: JwtInput) => policiesOf({ auth: { jwt: input } }).auth!.jwt!;
/** The public JWK of a generated key, as the schema takes it. */
const publicJwk = (key: KeyObject, kid: string) => ({ ...(key.export({ format: 'jwk' }) as Jwk), kid });

const NOW = 1_800_000_000;
const rs = testSigningKey('RS256', 'rs-1');
const es = testSigningKey('ES256', 'es-1');
const hs = testSigningKey('HS256', 'hs-1');
const claims = (extra: Record<string, unknown> = {}) => ({ iss: 'https://idp.example', aud: 'orders-api', sub: 'alice', exp: NOW + 300, iat: NOW, ...extra });

function verifier(extra: Partial<JwtInput> = {}) {
  return new JwtVerifier(jwtOf({ keys: [rs.jwk, es.jwk, hs.jwk], issuers: ['https://idp.example'], audiences: ['orders-api'], ...extra }), { nowSec: () => NOW });
}

/**
 * A verifier whose keys come from a JWKS document (fetch stubbed), with `extra` settings:
 * keys no schema has checked, which the verifier must handle on its own.
 */
async function jwksVerifier(keys: unknown[], extra: Partial<JwtInput> = {}, logger?: Logger) {
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ keys }), { headers: { 'content-type': 'application/json' } }));
  const v = new JwtVerifier(jwtOf({ jwksUrl: 'https://idp.example/jwks', ...extra }), { nowSec: () => NOW, ...(logger ? { logger } : {}) });
  await v.prefetch();
  return v;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('JwtVerifier', () => {
  it.each([rs, es, hs])('accepts a valid $alg token and names its consumer', async (key) => {
    expect(await verifier().verify(key.sign(claims()))).toMatchObject({ ok: true, consumer: 'alice', claims: { aud: 'orders-api' } });
  });

  it('refuses an expired token, but tolerates the clock skew', async () => {
    expect(await verifier().verify(rs.sign(claims({ exp: NOW - 31 })))).toEqual({ ok: false, reason: 'token expired', unavailable: false });
    expect((await verifier().verify(rs.sign(claims({ exp: NOW - 29 })))).ok).toBe(true);
    expect(await verifier({ clockSkewSec: 0 }).verify(rs.sign(claims({ exp: NOW - 1 })))).toMatchObject({ ok: false, reason: 'token expired' });
  });

  it('refuses a token not yet valid, one without expiry, a wrong audience and a wrong issuer', async () => {
    const v = verifier();
    expect(await v.verify(rs.sign(claims({ nbf: NOW + 60 })))).toMatchObject({ ok: false, reason: 'token not yet valid' });
    expect(await v.verify(rs.sign(claims({ exp: undefined })))).toMatchObject({ ok: false, reason: 'token has no expiry' });
    expect(await v.verify(rs.sign(claims({ aud: 'billing-api' })))).toMatchObject({ ok: false, reason: 'wrong audience' });
    expect((await v.verify(rs.sign(claims({ aud: ['billing-api', 'orders-api'] })))).ok).toBe(true);
    expect(await v.verify(rs.sign(claims({ iss: 'https://evil.example' })))).toMatchObject({ ok: false, reason: 'wrong issuer' });
    expect(await v.verify(rs.sign(claims({ sub: undefined })))).toMatchObject({ ok: false, reason: 'no sub claim' });
    expect(await v.verify(rs.sign(claims({ sub: 'alice\r\nx-admin: 1' })))).toMatchObject({ ok: false, reason: 'sub claim is not printable ASCII' });
  });

  it('refuses a wrong signature: another key with the same kid, or a changed payload', async () => {
    const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = signWith('RS256', impostor.privateKey, { alg: 'RS256', kid: 'rs-1' }, claims());
    expect(await verifier().verify(forged)).toMatchObject({ ok: false, reason: 'bad signature' });
    const [h, , s] = rs.sign(claims()).split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'mallory' }))).toString('base64url')}.${s}`;
    expect(await verifier().verify(tampered)).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('refuses alg "none" (and an empty signature) before looking at any key', async () => {
    const none = signCompact({ alg: 'none', typ: 'JWT' }, claims(), () => Buffer.alloc(0));
    expect(await verifier().verify(none)).toMatchObject({ ok: false, reason: 'algorithm not allowed' });
    const noneUpper = signCompact({ alg: 'NONE', kid: 'rs-1' }, claims(), () => Buffer.alloc(0));
    expect(await verifier().verify(noneUpper)).toMatchObject({ ok: false, reason: 'algorithm not allowed' });
  });

  it('refuses algorithm confusion: HS256 signed with the RSA public key as the HMAC secret', async () => {
    const rsaOnly = new JwtVerifier(jwtOf({ keys: [rs.jwk], audiences: ['orders-api'] }), { nowSec: () => NOW });
    const publicPem = (await import('node:crypto')).createPublicKey({ key: rs.jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const confused = signCompact({ alg: 'HS256', kid: 'rs-1' }, claims(), (input) => createHmac('sha256', publicPem).update(input).digest());
    expect(await rsaOnly.verify(confused)).toMatchObject({ ok: false, reason: 'no key for this token' });
    // And an algorithm the policy does not allow is refused even with a matching key: such a
    // key cannot be configured inline (the schema refuses it), but a JWKS document may hold one.
    expect(() => jwtOf({ keys: [rs.jwk, hs.jwk], algorithms: ['RS256', 'ES256'] })).toThrow(/jwt\.keys\[1\].*algorithms does not allow it/);
    const fromJwks = await jwksVerifier([hs.jwk], { algorithms: ['RS256', 'ES256'] });
    expect(await fromJwks.verify(hs.sign(claims()))).toMatchObject({ ok: false, reason: 'algorithm not allowed' });
  });

  it('refuses an ES256 signature in DER form (JWS uses r‖s), critical headers and malformed tokens', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const v = new JwtVerifier(jwtOf({ keys: [publicJwk(pair.publicKey, 'der')] }), { nowSec: () => NOW });
    expect(await v.verify(signWith('ES256', pair.privateKey, { alg: 'ES256', kid: 'der' }, claims(), 'der'))).toMatchObject({ ok: false, reason: 'bad signature' });
    expect((await v.verify(signWith('ES256', pair.privateKey, { alg: 'ES256', kid: 'der' }, claims()))).ok).toBe(true);
    expect(await verifier().verify(rs.sign(claims(), { crit: ['exp'] }))).toMatchObject({ ok: false, reason: 'unsupported critical header' });
    for (const bad of ['', 'a.b', 'a.b.c.d', '!!.??.**', 'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln', 'x'.repeat(9000)]) {
      expect((await verifier().verify(bad)).ok).toBe(false);
    }
  });

  it('picks the key by kid', async () => {
    const rs2 = testSigningKey('RS256', 'rs-2');
    const v = verifier({ keys: [rs.jwk, rs2.jwk] });
    expect(await v.verify(rs2.sign(claims()))).toMatchObject({ ok: true, consumer: 'alice' });
    // Signed by rs-1 but naming rs-2: only rs-2 is tried.
    expect(await v.verify(rs.sign(claims(), { kid: 'rs-2' }))).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('never runs with weak or mismatched keys or a bad JWKS URL: the schema refuses them at configuration', () => {
    expect(() => jwtOf({ keys: [{ kty: 'oct', k: Buffer.alloc(16).toString('base64url') }] })).toThrow(/jwt\.keys\[0\]\.k.*at least 256 bits/);
    expect(() => jwtOf({ keys: [{ ...rs.jwk, alg: 'HS256' }] })).toThrow(/jwt\.keys\[0\]\.alg.*RS256/);
    expect(() => jwtOf({ keys: [{ ...es.jwk, crv: 'P-384' }] })).toThrow(/jwt\.keys\[0\]\.crv.*P-256/);
    expect(() => jwtOf({})).toThrow(/jwt.*needs inline .*keys.* or a .*jwksUrl/);
    expect(() => jwtOf({ jwksUrl: 'ftp://x' })).toThrow(/jwt\.jwksUrl.*http/);
    expect(() => jwtOf({ jwksUrl: 'https://u:p@idp.example/jwks' })).toThrow(/jwt\.jwksUrl.*without credentials/);
    expect(() => new JwtVerifier(jwtOf({ jwksUrl: 'https://idp.example/jwks?x=@' }))).not.toThrow();
  });
});

describe('JwtVerifier on jose', () => {
  const at = { currentDate: new Date(NOW * 1000) };

  it('verifies each key type for its one algorithm, though jose would take others for the same key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaJwk = publicJwk(rsa.publicKey, 'rsa');
    const secret = randomBytes(32);
    const octJwk = { kty: 'oct' as const, k: secret.toString('base64url'), kid: 'oct' };
    const v = new JwtVerifier(jwtOf({ keys: [rsaJwk, octJwk] }), { nowSec: () => NOW });
    const cases = [
      ...['RS384', 'RS512', 'PS256'].map((alg) => ({ alg, signer: rsa.privateKey, jwk: rsaJwk })),
      ...['HS384', 'HS512'].map((alg) => ({ alg, signer: secret, jwk: octJwk })),
    ];
    for (const { alg, signer, jwk } of cases) {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg, kid: jwk.kid }).sign(signer);
      // jose alone accepts the token with this key, so the refusal is our rule.
      await expect(jwtVerify(token, jwk, at)).resolves.toMatchObject({ payload: { sub: 'alice' } });
      expect(await v.verify(token)).toMatchObject({ ok: false, reason: 'algorithm not allowed' });
    }
    expect((await v.verify(await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'rsa' }).sign(rsa.privateKey))).ok).toBe(true);
    expect((await v.verify(await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'oct' }).sign(secret))).ok).toBe(true);
    expect(() => jwtOf({ keys: [rsaJwk], algorithms: ['PS256' as 'RS256'] })).toThrow(/jwt\.algorithms\[0\].*must be one of ES256, HS256, RS256/);
  });

  it('refuses every critical header, also "b64", which jose accepts by default', async () => {
    const token = rs.sign(claims(), { crit: ['b64'], b64: true });
    await expect(jwtVerify(token, rs.jwk, at)).resolves.toBeDefined();
    expect(await verifier().verify(token)).toMatchObject({ ok: false, reason: 'unsupported critical header' });
  });

  it.each([
    ['RSA', 'RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['EC', 'ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ] as const)('uses only the public part of a %s JWK that carries private members', async (_, alg, pair) => {
    const jwk = { ...pair.privateKey.export({ format: 'jwk' }), kid: 'with-private' };
    expect(jwk).toHaveProperty('d');
    // Inline, the schema refuses private key material; a JWKS document may still carry it.
    expect(() => jwtOf({ keys: [{ ...(jwk as Jwk) }] })).toThrow(/jwt\.keys\[0\]\.d.*private key material/);
    const v = await jwksVerifier([jwk]);
    expect((await v.verify(signWith(alg, pair.privateKey, { alg, kid: 'with-private' }, claims()))).ok).toBe(true);
  });

  it('refuses an RSA key under 2048 bits at configuration', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => jwtOf({ keys: [publicJwk(weak.publicKey, 'weak')] })).toThrow(/jwt\.keys\[0\].*at least 2048 bits/);
  });

  it('imports keys once per policy, not per request', async () => {
    const v = verifier();
    await v.prefetch();
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    try {
      for (const key of [rs, es, hs]) expect((await v.verify(key.sign(claims()))).ok).toBe(true);
      expect(importKey).not.toHaveBeenCalled();
      // The spy does see jose importing, e.g. an HMAC secret handed to it as bytes.
      await jwtVerify(hs.sign(claims()), Buffer.from(hs.jwk.k!, 'base64url'), at);
      expect(importKey).toHaveBeenCalled();
    } finally {
      importKey.mockRestore();
    }
  });

  it('skips and logs a key that passes the checks but cannot be imported; the others still work', async () => {
    const logger = recordingLogger();
    const offCurve = { ...es.jwk, y: es.jwk.x };
    // Inline, the schema refuses it (it imports every key it is given); a JWKS document may still hold one.
    expect(() => jwtOf({ keys: [offCurve, rs.jwk] })).toThrow(/jwt\.keys\[0\].*not a valid EC public key/);
    const v = await jwksVerifier([offCurve, rs.jwk], {}, logger);
    expect((await v.verify(rs.sign(claims()))).ok).toBe(true);
    expect(await v.verify(es.sign(claims()))).toMatchObject({ ok: false, reason: 'no key for this token' });
    expect(logger.lines().join('')).toContain('key skipped');
    expect(logger.lines().join('')).not.toContain(es.jwk.x);
  });

  it('treats exp as the first instant the token is refused (RFC 7519 §4.1.4) and nbf as the first it is accepted', async () => {
    const strict = verifier({ clockSkewSec: 0 });
    expect(await strict.verify(rs.sign(claims({ exp: NOW })))).toMatchObject({ ok: false, reason: 'token expired' });
    expect((await strict.verify(rs.sign(claims({ exp: NOW + 1, nbf: NOW })))).ok).toBe(true);
    expect(await strict.verify(rs.sign(claims({ exp: 'later' })))).toMatchObject({ ok: false, reason: 'malformed exp' });
  });
});
