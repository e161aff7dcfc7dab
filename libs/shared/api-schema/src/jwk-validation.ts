import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { JWK_MEMBERS, REDACTED, type Jwk, type JwtAlgorithm } from './policy-definition.js';
import { ProblemList, describeType, field, isObject, join } from './field-checks.js';

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
const MEMBER_MAX_LENGTH = 4096;

/** The one algorithm a key of this type verifies. */
export function jwkAlgorithm(kty: Jwk['kty']): JwtAlgorithm {
  return ALGORITHM_OF[kty];
}

/**
 * Checks one inline JWK the way the runtime will import it (`@gw/auth` importJwk): the
 * type fixes the algorithm, RSA ≥ 2048 bits, EC on P-256, `oct` secrets ≥ 256 bits,
 * `alg`/`use` consistent. Problems never quote a key member's value: `k` is a secret.
 * A `k` of `"[REDACTED]"` that the deploy API could not replace by the stored secret
 * is reported as such.
 */
export function checkJwk(value: unknown, path: string, problems: ProblemList): Jwk | undefined {
  if (!isObject(value)) {
    problems.add(path, `must be a JSON Web Key object, not ${describeType(value)}`);
    return undefined;
  }
  const before = problems.count;
  const kty = field(value, 'kty');
  if (kty !== 'oct' && kty !== 'RSA' && kty !== 'EC') {
    problems.add(join(path, 'kty'), kty === undefined ? 'is required ("RSA", "EC" or "oct")' : 'must be "RSA", "EC" or "oct"');
    return undefined;
  }
  const allowed = MEMBERS_BY_TYPE[kty];
  for (const key of Object.keys(value)) {
    if (PRIVATE_MEMBERS.includes(key)) problems.add(join(path, key), 'is private key material, which is not accepted: give the public key only');
    else if (!allowed.includes(key)) problems.add(join(path, key), (JWK_MEMBERS as readonly string[]).includes(key) ? `does not belong in a ${kty} key` : 'unknown field');
  }
  const out: Record<string, string> = { kty };
  for (const member of allowed) {
    if (member === 'kty') continue;
    const v = field(value, member);
    if (v === undefined) continue;
    if (typeof v !== 'string') problems.add(join(path, member), `must be a string, not ${describeType(v)}`);
    else if (v.length === 0 || v.length > MEMBER_MAX_LENGTH) problems.add(join(path, member), `must be 1-${MEMBER_MAX_LENGTH} characters`);
    else out[member] = v;
  }
  if (problems.count !== before) return undefined;

  const alg = ALGORITHM_OF[kty];
  if (out['kid'] !== undefined && !KID.test(out['kid'])) problems.add(join(path, 'kid'), 'must be 1-256 visible ASCII characters');
  if (out['use'] !== undefined && out['use'] !== 'sig') problems.add(join(path, 'use'), 'must be "sig" (a key that verifies signatures)');
  if (out['alg'] !== undefined && out['alg'] !== alg) problems.add(join(path, 'alg'), `must be "${alg}" for a ${kty} key (or left out)`);
  switch (kty) {
    case 'oct':
      checkOctSecret(out['k'], join(path, 'k'), problems);
      break;
    case 'RSA':
      for (const m of ['n', 'e']) if (!base64Url(out[m], join(path, m), problems)) return undefined;
      if (problems.count === before) checkPublicKey({ kty, n: out['n']!, e: out['e']! }, path, problems, (bits) => (bits < 2048 ? 'must be an RSA key of at least 2048 bits' : undefined));
      break;
    case 'EC':
      if (out['crv'] !== 'P-256') problems.add(join(path, 'crv'), out['crv'] === undefined ? 'is required ("P-256")' : 'must be "P-256" (ES256)');
      for (const m of ['x', 'y']) if (!base64Url(out[m], join(path, m), problems)) return undefined;
      if (problems.count === before) checkPublicKey({ kty, crv: 'P-256', x: out['x']!, y: out['y']! }, path, problems, () => undefined);
      break;
  }
  return problems.count === before ? (out as unknown as Jwk) : undefined;
}

function checkOctSecret(k: string | undefined, path: string, problems: ProblemList): void {
  if (k === undefined) return problems.add(path, 'is required (the base64url HMAC secret)');
  if (k === REDACTED) return problems.add(path, `is "${REDACTED}", which stands for a stored secret, but this API has no stored oct key with the same "kid"; send the secret itself`);
  if (!BASE64URL.test(k)) return problems.add(path, 'must be base64url (A-Z a-z 0-9 - _, no padding)');
  if (Buffer.from(k, 'base64url').length < 32) problems.add(path, 'must be an HMAC secret of at least 256 bits (32 bytes)');
}

function base64Url(v: string | undefined, path: string, problems: ProblemList): boolean {
  if (v === undefined) {
    problems.add(path, 'is required');
    return false;
  }
  if (!BASE64URL.test(v)) {
    problems.add(path, 'must be base64url (A-Z a-z 0-9 - _, no padding)');
    return false;
  }
  return true;
}

function checkPublicKey(jwk: JsonWebKey, path: string, problems: ProblemList, sizeProblem: (bits: number) => string | undefined): void {
  let bits: number;
  try {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  } catch {
    problems.add(path, `is not a valid ${jwk.kty} public key`);
    return;
  }
  const message = sizeProblem(bits);
  if (message !== undefined) problems.add(path, message);
}
