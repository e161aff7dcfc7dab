import type { JwtAlgorithm } from '@gw/api-schema';
import type { Logger } from '@gw/logging';
import { importJWK, type CryptoKey } from 'jose';

/** A key imported once for the one algorithm its type allows. */
export interface VerificationKey {
  kid: string | undefined;
  alg: JwtAlgorithm;
  key: CryptoKey;
}

/** The members each key type needs: private parts are never imported, so only the public key is used. */
const PUBLIC_MEMBERS = { oct: ['kty', 'k'], RSA: ['kty', 'n', 'e'], EC: ['kty', 'crv', 'x', 'y'] } as const;

/**
 * The one algorithm a JWK (RFC 7517) may verify, fixed by its type: `oct` → HS256
 * (≥ 256-bit secret), `RSA` → RS256 (≥ 2048-bit), `EC` on P-256 → ES256. This is what
 * rules out algorithm confusion: an HS256 token is only ever checked against an `oct`
 * secret, never against an RSA public key used as an HMAC secret. A JWK's own `alg`/`use`
 * must agree. Checked for every key imported: the keys of a fetched JWKS document, which
 * no schema has seen, and inline keys (which the API schema has already checked the same
 * way). Throws with a reason that never quotes a key member.
 */
export function keyAlgorithm(jwk: unknown): JwtAlgorithm {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new Error('a key must be a JSON object');
  const m = jwk as Record<string, unknown>;
  const kid = typeof m['kid'] === 'string' ? m['kid'] : '(no kid)';
  if (m['use'] !== undefined && m['use'] !== 'sig') throw new Error(`key ${kid} is not a signing key (use=${String(m['use'])})`);
  let alg: JwtAlgorithm;
  switch (m['kty']) {
    case 'oct':
      if (typeof m['k'] !== 'string') throw new Error('oct key without "k"');
      if (Buffer.from(m['k'], 'base64url').length < 32) throw new Error('HS256 secrets must be at least 256 bits');
      alg = 'HS256';
      break;
    case 'RSA':
      if (typeof m['n'] !== 'string' || m['n'] === '') throw new Error('RSA key without "n"');
      if (modulusBits(m['n']) < 2048) throw new Error('RSA keys must be at least 2048 bits');
      alg = 'RS256';
      break;
    case 'EC':
      if (m['crv'] !== 'P-256') throw new Error(`EC curve ${String(m['crv'])} is not supported (ES256 needs P-256)`);
      alg = 'ES256';
      break;
    default:
      throw new Error(`key type ${String(m['kty'])} is not supported`);
  }
  if (m['alg'] !== undefined && m['alg'] !== alg) throw new Error(`key ${kid} says alg ${String(m['alg'])} but its type only allows ${alg}`);
  return alg;
}

/** Imports a JWK with jose for its one algorithm (see `keyAlgorithm`); rejects with a reason for a key that cannot be used. */
export async function importJwk(jwk: unknown): Promise<VerificationKey> {
  const alg = keyAlgorithm(jwk);
  const m = jwk as Record<string, unknown>;
  const kty = m['kty'] as keyof typeof PUBLIC_MEMBERS;
  const imported = await importJWK(Object.fromEntries(PUBLIC_MEMBERS[kty].map((f) => [f, m[f]])), alg);
  // jose hands an oct key back as bytes, which it would import into WebCrypto on every
  // verification: import it once here.
  const key = imported instanceof Uint8Array ? await crypto.subtle.importKey('raw', imported, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) : imported;
  return { kid: typeof m['kid'] === 'string' ? m['kid'] : undefined, alg, key };
}

/** Imports every usable key of a list; an unusable one is skipped and logged (why, never its members). */
export async function importKeys(jwks: readonly unknown[], logger: Logger): Promise<VerificationKey[]> {
  const settled = await Promise.allSettled(jwks.map(importJwk));
  const keys: VerificationKey[] = [];
  settled.forEach((r, index) => {
    if (r.status === 'fulfilled') keys.push(r.value);
    else logger.warn({ index, reason: (r.reason as Error).message }, 'key skipped');
  });
  return keys;
}

/** Bit length of a base64url big-endian modulus (leading zero octets do not count). */
function modulusBits(n: string): number {
  const hex = Buffer.from(n, 'base64url').toString('hex');
  return hex === '' ? 0 : BigInt(`0x${hex}`).toString(2).length;
}
