import type { IncomingHttpHeaders } from 'node:http';
import { HOP_BY_HOP_HEADERS, connectionListedHeaders } from './hop-by-hop-headers.js';

/** Lengths of the names dropped below: hop-by-hop ones, `transfer-encoding`, `x-request-id`. */
const DROPPED_LENGTHS: ReadonlySet<number> = new Set([...HOP_BY_HOP_HEADERS, 'transfer-encoding', 'x-request-id'].map((n) => n.length));

/**
 * The upstream response's headers as the client gets them, as a flat `[name, value, …]`
 * list for `res.writeHead` (repeated headers such as `Set-Cookie` stay separate lines).
 * `headers` is undici's parsed form: lower-case names, repeated headers as arrays. Drops
 * hop-by-hop headers, those the upstream listed in `Connection`, `Transfer-Encoding`
 * (Node frames the client response itself) and the upstream's `X-Request-Id`: the
 * gateway's id is authoritative.
 */
export function clientResponseHeaders(headers: IncomingHttpHeaders, requestId: string): string[] {
  const out: string[] = [];
  let connection: string | string[] | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    // Only names as long as one of the dropped ones need a closer look.
    if (DROPPED_LENGTHS.has(name.length)) {
      if (HOP_BY_HOP_HEADERS.has(name)) {
        if (name === 'connection') connection = value;
        continue;
      }
      if (name === 'transfer-encoding' || name === 'x-request-id') continue;
    }
    if (typeof value === 'string') out.push(name, value);
    else for (const one of value) out.push(name, one);
  }
  // Usually just `keep-alive` or `close`, which list nothing.
  const listed = connection === undefined ? undefined : connectionListedHeaders(connection);
  if (listed !== undefined && listed.length > 0) {
    for (let i = out.length - 2; i >= 0; i -= 2) {
      if (listed.includes(out[i]!)) out.splice(i, 2);
    }
  }
  out.push('x-request-id', requestId);
  return out;
}
