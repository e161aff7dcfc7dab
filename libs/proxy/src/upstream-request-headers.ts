import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { HOP_BY_HOP_HEADERS, connectionListedHeaders } from './hop-by-hop-headers.js';

const HOP_BY_HOP = [...HOP_BY_HOP_HEADERS];

/**
 * Turns the client's headers into the upstream request's, in place (http-proxy-3 copies
 * `req.headers` when it builds the upstream request):
 * - removes hop-by-hop headers and every header the client listed in `Connection`;
 * - removes `Expect`: Node's server has already answered `100 Continue` to the client,
 *   and http-proxy-3 skips its `proxyReq` event (which the timeouts rely on) when the
 *   upstream request carries `Expect`;
 * - sets `X-Request-Id`, and `X-Forwarded-For/-Proto/-Host` describing this hop only.
 *   Client-sent `X-Forwarded-*` values are replaced, not appended to, because nothing
 *   tells yet which hops are trusted (a later issue).
 * Host is left alone here: `changeOrigin` sets the target's on the upstream request.
 */
export function prepareUpstreamRequestHeaders(req: IncomingMessage, requestId: string): void {
  const headers = req.headers;
  if (headers.connection !== undefined) {
    for (const name of connectionListedHeaders(headers.connection)) delete headers[name];
  }
  for (const name of HOP_BY_HOP) {
    if (headers[name] !== undefined) delete headers[name];
  }
  if (headers.expect !== undefined) delete headers.expect;
  headers['x-request-id'] = requestId;
  const socket = req.socket;
  if (socket.remoteAddress !== undefined) headers['x-forwarded-for'] = socket.remoteAddress;
  else delete headers['x-forwarded-for'];
  headers['x-forwarded-proto'] = (socket as TLSSocket).encrypted === true ? 'https' : 'http';
  if (headers.host !== undefined) headers['x-forwarded-host'] = headers.host;
  else delete headers['x-forwarded-host'];
}
