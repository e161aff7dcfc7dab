/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), in lower
 * case. A proxy must not forward them in either direction. `transfer-encoding` is also
 * hop-by-hop but Node re-frames bodies itself, so each direction handles it explicitly.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/**
 * Headers a `Connection` token must never remove: dropping the message framing or the
 * Host would let a client change how the upstream reads the byte stream.
 */
const PROTECTED_FROM_CONNECTION_TOKENS: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * The header names a `Connection` header value lists (lower case), other than `close`
 * and `keep-alive` and the protected framing headers: the sender declares these
 * hop-by-hop too, so they are removed along with `Connection` itself.
 */
export function connectionListedHeaders(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const raw of part.split(',')) {
      const name = raw.trim().toLowerCase();
      if (name === '' || name === 'close' || name === 'keep-alive' || PROTECTED_FROM_CONNECTION_TOKENS.has(name)) continue;
      out.push(name);
    }
  }
  return out;
}
