import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'RS256', 'ES256'];

/** A key ready to verify signatures: its type fixes the one algorithm it may verify. */
export interface VerificationKey {
  kid: string | undefined;
  alg: JwtAlgorithm;
  key: KeyObject;
}

/**
 * Imports one JWK (RFC 7517) for verification. Each key serves exactly one algorithm,
 * fixed by its type: `oct` → HS256 (≥ 256-bit secret), `RSA` → RS256 (≥ 2048-bit),
 * `EC` on P-256 → ES256. This is what rules out algorithm confusion: a token that says
 * HS256 is only ever checked against an `oct` secret, never against an RSA public key
 * used as an HMAC secret. Private parts of an asymmetric JWK are ignored (only the
 * public key is derived). Throws with a reason for a key that cannot be used.
 */
export function importJwk(jwk: JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown }): VerificationKey {
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`key ${kid ?? '(no kid)'} is not a signing key (use=${String(jwk.use)})`);
  let alg: JwtAlgorithm;
  let key: KeyObject;
  switch (jwk.kty) {
    case 'oct': {
      if (typeof jwk.k !== 'string') throw new Error('oct key without "k"');
      const secret = Buffer.from(jwk.k, 'base64url');
      if (secret.length < 32) throw new Error('HS256 secrets must be at least 256 bits');
      alg = 'HS256';
      key = createSecretKey(secret);
      break;
    }
    case 'RSA': {
      alg = 'RS256';
      key = createPublicKey({ key: publicPart(jwk, ['kty', 'n', 'e']), format: 'jwk' });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('RSA keys must be at least 2048 bits');
      break;
    }
    case 'EC': {
      if (jwk.crv !== 'P-256') throw new Error(`EC curve ${String(jwk.crv)} is not supported (ES256 needs P-256)`);
      alg = 'ES256';
      key = createPublicKey({ key: publicPart(jwk, ['kty', 'crv', 'x', 'y']), format: 'jwk' });
      break;
    }
    default:
      throw new Error(`key type ${String(jwk.kty)} is not supported`);
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) throw new Error(`key ${kid ?? '(no kid)'} says alg ${String(jwk.alg)} but its type only allows ${alg}`);
  return { kid, alg, key };
}

function publicPart(jwk: JsonWebKey, fields: string[]): JsonWebKey {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = (jwk as Record<string, unknown>)[f];
  return out as JsonWebKey;
}
