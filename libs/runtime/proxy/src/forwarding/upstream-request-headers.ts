import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { forwardedFor, unmapIpv4 } from '../edge/forwarded-for.js';
import { isValidHostHeader } from '../edge/host-header.js';
import { HOP_BY_HOP_HEADERS, connectionListedHeaders } from './hop-by-hop-headers.js';
import { isValidTraceparent } from './trace-context.js';

const HOP_BY_HOP = [...HOP_BY_HOP_HEADERS];

/**
 * Turns the client's headers into the upstream request's, in place (the forwarder sends
 * `req.headers` as they are; the WebSocket path hands them to http-proxy-3):
 * - removes hop-by-hop headers and every header the client listed in `Connection`;
 * - removes `Expect`: Node's server has already answered `100 Continue` to the client
 *   (for a request the edge accepts), so the body goes upstream with the request, as
 *   Envoy does by default (undici refuses the header anyway);
 * - sets `X-Request-Id`;
 * - sets `X-Forwarded-For/-Proto/-Host` from `trustedProxyHops` (see `forwardedFor`):
 *   with 0 hops they describe this hop only and client-sent values are replaced; with
 *   N hops and a chain that passed them, the trusted part of the chain is kept and a
 *   single valid `X-Forwarded-Proto` / `-Host` set by the trusted proxy is kept too;
 * - removes `Forwarded` (RFC 7239) and `X-Real-IP`: the gateway speaks `X-Forwarded-*`
 *   only, and a client must not be able to slip another origin past it; with trusted
 *   hops both pass through as the trusted proxy set them;
 * - passes a valid W3C `traceparent` (and `tracestate`) through; drops a malformed one
 *   with its `tracestate`.
 * Host is left alone here: each try sets the target's (or the API's `hostRewrite`).
 */
export function prepareUpstreamRequestHeaders(req: IncomingMessage, requestId: string, trustedProxyHops = 0): void {
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
  const ownProto = (socket as TLSSocket).encrypted === true ? 'https' : 'http';
  const peer = socket.remoteAddress;
  if (peer === undefined) {
    // The client is already gone; the request will fail, but never with a spoofed origin.
    delete headers['x-forwarded-for'];
    headers['x-forwarded-proto'] = ownProto;
    setForwardedHost(headers, undefined);
    dropUntrustedOrigins(headers);
  } else if (trustedProxyHops === 0) {
    // The default, on every request: no chain to read, nothing to allocate.
    headers['x-forwarded-for'] = unmapIpv4(peer);
    headers['x-forwarded-proto'] = ownProto;
    setForwardedHost(headers, headers.host);
    dropUntrustedOrigins(headers);
  } else {
    const chain = forwardedFor(headers['x-forwarded-for'], unmapIpv4(peer), trustedProxyHops);
    headers['x-forwarded-for'] = chain.header;
    if (chain.viaTrustedProxies) {
      const proto = headers['x-forwarded-proto'];
      if (proto !== 'http' && proto !== 'https') headers['x-forwarded-proto'] = ownProto;
      const host = headers['x-forwarded-host'];
      if (typeof host !== 'string' || host === '' || !isValidHostHeader(host)) setForwardedHost(headers, headers.host);
    } else {
      headers['x-forwarded-proto'] = ownProto;
      setForwardedHost(headers, headers.host);
      dropUntrustedOrigins(headers);
    }
  }

  const traceparent = headers.traceparent;
  if (traceparent !== undefined && (typeof traceparent !== 'string' || !isValidTraceparent(traceparent))) {
    delete headers.traceparent;
    if (headers.tracestate !== undefined) delete headers.tracestate;
  } else if (traceparent === undefined && headers.tracestate !== undefined) {
    // A tracestate without its traceparent means nothing to anyone downstream.
    delete headers.tracestate;
  }
}

function setForwardedHost(headers: IncomingMessage['headers'], host: string | undefined): void {
  if (host !== undefined && host !== '') headers['x-forwarded-host'] = host;
  else if (headers['x-forwarded-host'] !== undefined) delete headers['x-forwarded-host'];
}

function dropUntrustedOrigins(headers: IncomingMessage['headers']): void {
  if (headers.forwarded !== undefined) delete headers.forwarded;
  if (headers['x-real-ip'] !== undefined) delete headers['x-real-ip'];
}
