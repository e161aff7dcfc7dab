import { createHmac, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Jwk } from '@gw/api-schema';

/** A signing key for tests, with the public JWK a gateway would be given. */
export interface TestSigningKey {
  alg: 'HS256' | 'RS256' | 'ES256';
  kid: string;
  /**
   * The JWK to configure, as the API schema takes it (public for RS256/ES256, the secret
   * for HS256). Mapped from the schema's `Jwk` interface so that, like a JSON value, it is
   * also assignable where an index signature is expected (the schema's input type for a
   * key, node's `JsonWebKey`).
   */
  jwk: { [M in keyof Jwk]: Jwk[M] } & { kid: string; alg: string; use: string };
  sign(payload: Record<string, unknown>, header?: Record<string, unknown>): string;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Generates a fresh key pair (or secret) and a signer for compact JWS tokens. */
export function testSigningKey(alg: 'HS256' | 'RS256' | 'ES256', kid: string): TestSigningKey {
  if (alg === 'HS256') {
    const secret = randomBytes(32);
    return {
      alg,
      kid,
      jwk: { kty: 'oct', k: secret.toString('base64url'), kid, alg, use: 'sig' },
      sign: (payload, header = {}) => signCompact({ alg, kid, typ: 'JWT', ...header }, payload, (input) => createHmac('sha256', secret).update(input).digest()),
    };
  }
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(pair.publicKey.export({ format: 'jwk' }) as Jwk), kid, alg, use: 'sig' };
  return { alg, kid, jwk, sign: (payload, header = {}) => signWith(alg, pair.privateKey, { alg, kid, typ: 'JWT', ...header }, payload) };
}

/** Signs with any private key (to forge tokens in tests: wrong key, DER encoding, …). */
export function signWith(alg: 'RS256' | 'ES256', privateKey: KeyObject | string, header: Record<string, unknown>, payload: Record<string, unknown>, dsaEncoding: 'der' | 'ieee-p1363' = 'ieee-p1363'): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return signCompact(header, payload, (input) => (alg === 'ES256' ? sign('sha256', input, { key, dsaEncoding }) : sign('sha256', input, key)));
}

/** Builds `header.payload.signature` with an arbitrary signer (an empty signature for `alg: none`). */
export function signCompact(header: Record<string, unknown>, payload: Record<string, unknown>, signer: (input: Buffer) => Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}
