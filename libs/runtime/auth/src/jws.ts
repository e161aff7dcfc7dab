import { createHmac, timingSafeEqual, verify } from 'node:crypto';
import { JWT_ALGORITHMS, type JwtAlgorithm, type VerificationKey } from './jwk.js';

export interface ParsedJwt {
  header: { alg: string; kid?: string; [k: string]: unknown };
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** Tokens longer than this are refused before any parsing or crypto. */
export const MAX_TOKEN_LENGTH = 8192;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Splits and decodes a compact JWS (three base64url parts, JSON header and payload), or says why not. */
export function parseJwt(token: string): ParsedJwt | { error: string } {
  if (token.length > MAX_TOKEN_LENGTH) return { error: 'token too long' };
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return { error: 'malformed token' };
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return { error: 'malformed token' };
  }
  if (!isObject(header) || typeof header['alg'] !== 'string') return { error: 'malformed token header' };
  if (!isObject(payload)) return { error: 'malformed token payload' };
  if (header['kid'] !== undefined && typeof header['kid'] !== 'string') return { error: 'malformed token header' };
  // Critical extensions we do not implement must make the token invalid (RFC 7515 §4.1.11).
  if (header['crit'] !== undefined) return { error: 'unsupported critical header' };
  return { header: header as ParsedJwt['header'], payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

export function isSupportedAlgorithm(alg: string): alg is JwtAlgorithm {
  return (JWT_ALGORITHMS as readonly string[]).includes(alg);
}

/** Checks a signature with one key; the key's own algorithm must be the token's. */
export function verifySignature(alg: JwtAlgorithm, key: VerificationKey, signingInput: string, signature: Buffer): boolean {
  if (key.alg !== alg) return false;
  const data = Buffer.from(signingInput, 'ascii');
  switch (alg) {
    case 'HS256': {
      if (key.key.type !== 'secret') return false;
      const mac = createHmac('sha256', key.key).update(data).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    case 'RS256':
      return key.key.type === 'public' && key.key.asymmetricKeyType === 'rsa' && verify('sha256', data, key.key, signature);
    case 'ES256':
      // JWS carries ECDSA signatures as r‖s (64 bytes), not DER.
      return (
        key.key.type === 'public' && key.key.asymmetricKeyType === 'ec' && signature.length === 64 && verify('sha256', data, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)
      );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
