import { createHash } from 'node:crypto';

/** SHA-256 of a request body (hex), to put in the fingerprint; feed it the buffered body. */
export function bodyDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Who a key belongs to: the authenticated consumer, or else the client IP (two anonymous clients never share keys). */
export function keyScope(consumer: string | undefined, clientIp: string): string {
  return consumer ? `c:${consumer}` : `ip:${clientIp}`;
}

/** What must match for a repeat to be "the same request": method, path with query, body and scope. */
export function requestFingerprint(method: string, path: string, bodySha256: string, scope: string): string {
  return createHash('sha256').update(`${method.toUpperCase()}\n${path}\n${bodySha256}\n${scope}`).digest('base64url');
}

/** The Redis key: per API and scope; the client's key is hashed, so any value is safe and bounded. */
export function storageKey(api: string, scope: string, key: string): string {
  const h = (s: string, n: number) => createHash('sha256').update(s).digest('base64url').slice(0, n);
  return `gw:idem:${api}:${h(scope, 16)}:${h(key, 32)}`;
}
