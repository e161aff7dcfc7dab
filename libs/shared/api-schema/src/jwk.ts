import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { POLICY_LIMITS as L } from './limits.js';

export const JWT_ALGORITHMS = ['ES256', 'HS256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export const JWK_TYPES = ['oct', 'RSA', 'EC'] as const;
export const JWK_MEMBERS = ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e', 'k'] as const;

/** What a masked secret reads as in responses; sent back in a PUT it keeps the stored value. */
export const REDACTED = '[REDACTED]';

/** A JSON Web Key as the definition holds it: only these members, only public parts (and `k` of `oct`). */
export interface Jwk {
  kty: (typeof JWK_TYPES)[number];
  kid?: string;
  alg?: string;
  use?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  /** The HMAC secret of an `oct` key (base64url). Masked in every deploy API response. */
  k?: string;
}

/** Private members of RSA/EC keys: a verification key set never needs them, so they are refused, not stored. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];
const MEMBERS_BY_TYPE: Record<Jwk['kty'], readonly string[]> = {
  oct: ['kty', 'kid', 'alg', 'use', 'k'],
  RSA: ['kty', 'kid', 'alg', 'use', 'n', 'e'],
  EC: ['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y'],
};
const ALGORITHM_OF: Record<Jwk['kty'], JwtAlgorithm> = { oct: 'HS256', RSA: 'RS256', EC: 'ES256' };
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const KID = /^[\x21-\x7e]{1,256}$/;

/** The one algorithm a key of this type verifies: what rules out algorithm confusion. */
export function jwkAlgorithm(kty: Jwk['kty']): JwtAlgorithm {
  return ALGORITHM_OF[kty];
}

/** A problem with one member of a key (`member` undefined: the key as a whole). */
export interface JwkProblem {
  member?: string;
  message: string;
}

/**
 * Checks one inline JWK (members already known to be strings) the way the runtime will
 * import it: the type fixes the algorithm, RSA ≥ 2048 bits, EC on P-256, `oct` secrets
 * ≥ 256 bits, `alg`/`use` consistent, no private members. Problems never quote a key
 * member's value: `k` is a secret. Returns the key with only its type's members.
 */
export function checkJwk(value: Record<string, unknown> & { kty: Jwk['kty'] }): Jwk | JwkProblem[] {
  const problems: JwkProblem[] = [];
  const kty = value.kty;
  const allowed = MEMBERS_BY_TYPE[kty];
  for (const key of Object.keys(value)) {
    if (PRIVATE_MEMBERS.includes(key)) problems.push({ member: key, message: 'is private key material, which is not accepted: give the public key only' });
    else if (!allowed.includes(key)) problems.push({ member: key, message: (JWK_MEMBERS as readonly string[]).includes(key) ? `does not belong in a ${kty} key` : 'unknown field' });
  }
  if (problems.length > 0) return problems;
  const out: Record<string, string> = { kty };
  for (const member of allowed) if (member !== 'kty' && typeof value[member] === 'string') out[member] = value[member];

  const alg = ALGORITHM_OF[kty];
  if (out['kid'] !== undefined && !KID.test(out['kid'])) problems.push({ member: 'kid', message: 'must be 1-256 visible ASCII characters' });
  if (out['use'] !== undefined && out['use'] !== 'sig') problems.push({ member: 'use', message: 'must be "sig" (a key that verifies signatures)' });
  if (out['alg'] !== undefined && out['alg'] !== alg) problems.push({ member: 'alg', message: `must be "${alg}" for a ${kty} key (or left out)` });
  switch (kty) {
    case 'oct':
      problems.push(...octSecretProblems(out['k']));
      break;
    case 'RSA':
      for (const m of ['n', 'e']) {
        const p = base64UrlProblem(out[m]);
        if (p !== undefined) return [...problems, { member: m, message: p }];
      }
      if (problems.length === 0) problems.push(...publicKeyProblems({ kty, n: out['n']!, e: out['e']! }, (bits) => (bits < 2048 ? 'must be an RSA key of at least 2048 bits' : undefined)));
      break;
    case 'EC':
      if (out['crv'] !== 'P-256') problems.push({ member: 'crv', message: out['crv'] === undefined ? 'is required ("P-256")' : 'must be "P-256" (ES256)' });
      for (const m of ['x', 'y']) {
        const p = base64UrlProblem(out[m]);
        if (p !== undefined) return [...problems, { member: m, message: p }];
      }
      if (problems.length === 0) problems.push(...publicKeyProblems({ kty, crv: 'P-256', x: out['x']!, y: out['y']! }, () => undefined));
      break;
  }
  return problems.length > 0 ? problems : (out as unknown as Jwk);
}

function octSecretProblems(k: string | undefined): JwkProblem[] {
  const at = (message: string): JwkProblem[] => [{ member: 'k', message }];
  if (k === undefined) return at('is required (the base64url HMAC secret)');
  if (k === REDACTED) return at(`is "${REDACTED}", which stands for a stored secret, but this API has no stored oct key with the same "kid"; send the secret itself`);
  if (!BASE64URL.test(k)) return at('must be base64url (A-Z a-z 0-9 - _, no padding)');
  if (Buffer.from(k, 'base64url').length < 32) return at('must be an HMAC secret of at least 256 bits (32 bytes)');
  return [];
}

function base64UrlProblem(v: string | undefined): string | undefined {
  if (v === undefined) return 'is required';
  return BASE64URL.test(v) ? undefined : 'must be base64url (A-Z a-z 0-9 - _, no padding)';
}

function publicKeyProblems(jwk: JsonWebKey, sizeProblem: (bits: number) => string | undefined): JwkProblem[] {
  let bits: number;
  try {
    bits = createPublicKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails?.modulusLength ?? 0;
  } catch {
    return [{ message: `is not a valid ${jwk.kty} public key` }];
  }
  const message = sizeProblem(bits);
  return message === undefined ? [] : [{ message }];
}

/** The largest member a key may have (base64url key material, `kid`). */
export const JWK_MEMBER_MAX_LENGTH = L.jwkMemberMaxLength;
