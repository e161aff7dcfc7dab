import { HOP_BY_HOP_HEADERS, connectionListedHeaders } from './hop-by-hop-headers.js';

/**
 * The upstream response's headers as the client gets them, as a flat `[name, value, …]`
 * list for `res.writeHead` (keeps the upstream's name case and repeated headers such as
 * `Set-Cookie`, and avoids building a headers object). Drops hop-by-hop headers, those
 * the upstream listed in `Connection`, `Transfer-Encoding` (Node frames the client
 * response itself) and the upstream's `X-Request-Id`: the gateway's id is authoritative.
 * Reads `rawHeaders` and never mutates the upstream response, whose `Keep-Alive: timeout`
 * hint Node's agent still needs when it pools the socket.
 */
/** Lengths of the names dropped below: hop-by-hop ones, `transfer-encoding`, `x-request-id`. */
const DROPPED_LENGTHS: ReadonlySet<number> = new Set([...HOP_BY_HOP_HEADERS, 'transfer-encoding', 'x-request-id'].map((n) => n.length));

export function clientResponseHeaders(rawHeaders: readonly string[], requestId: string): string[] {
  const out: string[] = [];
  let connection: string[] | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Only names as long as one of the dropped ones need a closer look (no lower-casing
    // of `Content-Type`, `Date`, `Server`… on every response).
    if (!DROPPED_LENGTHS.has(name.length)) {
      out.push(name, rawHeaders[i + 1]!);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower)) {
      if (lower === 'connection') (connection ??= []).push(rawHeaders[i + 1]!);
      continue;
    }
    if (lower === 'transfer-encoding' || lower === 'x-request-id') continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  if (connection !== undefined) {
    const listed = new Set(connectionListedHeaders(connection));
    if (listed.size > 0) {
      for (let i = out.length - 2; i >= 0; i -= 2) {
        if (listed.has(out[i]!.toLowerCase())) out.splice(i, 2);
      }
    }
  }
  out.push('x-request-id', requestId);
  return out;
}
