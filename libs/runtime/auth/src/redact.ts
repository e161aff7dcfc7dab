import { REDACTED } from '@gw/api-schema';
import { removeQueryParam } from './consumer-identity.js';

/** What a masked value reads as: the API schema's marker, so masked output reads the same everywhere. */
export { REDACTED };

/** Headers that carry credentials whatever the API says. */
const ALWAYS_SECRET = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
/** Query parameters that commonly carry credentials. */
const SECRET_QUERY = ['access_token', 'api_key', 'apikey', 'token', 'key'];

/**
 * A copy of request or response headers safe to log: credential headers (plus `extra`,
 * e.g. an API's own key header) keep their names, lose their values.
 */
export function redactHeaders<T extends Readonly<Record<string, unknown>>>(headers: T, extra: readonly string[] = []): Record<string, unknown> {
  const secret = new Set([...ALWAYS_SECRET, ...extra.map((h) => h.toLowerCase())]);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = secret.has(name.toLowerCase()) && value !== undefined ? REDACTED : value;
  return out;
}

/** A request target safe to log: credential query parameters (plus `extra`) are replaced by one redacted marker each. */
export function redactUrl(target: string, extra: readonly string[] = []): string {
  let out = target;
  let removed = false;
  for (const p of [...SECRET_QUERY, ...extra]) {
    const next = removeQueryParam(out, p);
    if (next !== out) {
      removed = true;
      out = `${next}${next.includes('?') ? '&' : '?'}${encodeURIComponent(p)}=${REDACTED}`;
    }
  }
  return removed ? out : target;
}

/** JWK members that are secret: the HMAC key, and the private parts of RSA/EC keys. */
const SECRET_JWK_MEMBERS = ['k', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

/**
 * An auth policy (the schema's `AuthPolicy`, or any value holding JWKs and key hashes,
 * such as a JWKS document) as it may be shown or logged: HMAC secrets and private key
 * parts masked, API key hashes shortened to a recognizable prefix. The input is not changed.
 */
export function maskAuthPolicy<T>(policy: T): T {
  return maskValue(policy, '') as T;
}

function maskValue(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((v) => maskValue(v, key));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  const obj = value as Record<string, unknown>;
  const isJwk = typeof obj['kty'] === 'string';
  for (const [k, v] of Object.entries(obj)) {
    if (isJwk && SECRET_JWK_MEMBERS.includes(k) && v !== undefined) out[k] = REDACTED;
    else if (k === 'sha256' && typeof v === 'string') out[k] = `${v.slice(0, 8)}…`;
    else out[k] = maskValue(v, k);
  }
  return out;
}
