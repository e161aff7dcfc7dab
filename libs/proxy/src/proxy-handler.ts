import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import { pickTarget, upstreamPath, type RouteTable } from '@gw/routing';
import { createProxyServer } from 'http-proxy-3';
import { clientResponseHeaders } from './client-response-headers.js';
import { sendProxyError, type ProxyError } from './error-response.js';
import { DONE, EXCHANGE, Exchange, STREAMING, WAITING, exchangeOf, type WithExchange } from './exchange.js';
import { resolveRequestId } from './request-id.js';
import { UpstreamAgents } from './upstream-agents.js';
import { INVALID_RESPONSE, UPSTREAM_TIMEOUT, classifyUpstreamFailure } from './upstream-failure.js';
import { prepareUpstreamRequestHeaders } from './upstream-request-headers.js';

export interface ProxyHandlerOptions {
  /** The routing table of the applied snapshot; `undefined` until there is one (answers 503). */
  getTable: () => RouteTable | undefined;
  logger?: Logger;
}

export interface ProxyHandler {
  /** Routes and forwards one client request; never throws, always answers or closes. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Destroys the upstream connection pools. Call after the listener has drained:
   * requests still in flight lose their upstream connection (502 or a cut response),
   * and requests handled afterwards get 503.
   */
  close(): void;
}

const SLASH = 47; // '/'

const BAD_REQUEST: ProxyError = Object.freeze({
  status: 400,
  code: ErrorCodes.GW_BAD_REQUEST,
  message: 'the request target must be a path starting with "/"',
});
const NOT_READY: ProxyError = Object.freeze({ status: 503, code: ErrorCodes.GW_NOT_READY, message: 'the gateway has no configuration yet' });
const NO_ROUTE: ProxyError = Object.freeze({ status: 404, code: ErrorCodes.GW_NO_ROUTE, message: 'no API matches this host and path' });

/**
 * The runtime's forwarding path: request id, route match, target pick, and one shared
 * http-proxy-3 server that forwards over per-origin keep-alive agents.
 *
 * Per request it allocates one `Exchange` and one timer and parses nothing twice; the
 * proxy's events are handled by listeners registered once, which find the exchange on
 * the request. Nothing is logged for a successful request.
 */
export function createProxyHandler(options: ProxyHandlerOptions): ProxyHandler {
  const getTable = options.getTable;
  const logger = options.logger ?? silentLogger;
  const agents = new UpstreamAgents();
  let closed = false;

  const proxy = createProxyServer({
    // Host becomes the target's (`host[:port]`), as upstreams behind a gateway expect;
    // the client's Host travels as X-Forwarded-Host.
    changeOrigin: true,
    // Forward `req.url` verbatim: the default re-parses it with `new URL`, which costs an
    // allocation per request and normalizes the path (`/a/../b` → `/b`) after routing
    // has already decided on the raw one.
    toProxy: true,
    // Response headers are filtered and written here (hop-by-hop, request id).
    selfHandleResponse: true,
  });

  // http-proxy-3's `deleteLength` pass gives a DELETE or OPTIONS request without
  // Content-Length a `Content-Length: 0` and drops its Transfer-Encoding, yet still
  // streams the body: a chunked body would then reach the pooled upstream connection
  // unframed and be read as a second request (smuggling). Put the framing back.
  proxy.before('web', 'stream', restoreRequestFraming);

  proxy.on('proxyReq', onProxyReq);
  proxy.on('proxyRes', onProxyRes);
  proxy.on('econnreset', onClientGone);
  // Always handled: http-proxy-3 throws an 'error' nobody listens to.
  proxy.on('error', onProxyError);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = resolveRequestId(req.headers['x-request-id']);
    const url = req.url;
    // Origin-form only. An absolute-form target (`http://evil/x`) or `*` never reaches
    // routing, and the path is never parsed as a URL, so `//evil/x` stays a path.
    if (url === undefined || url.charCodeAt(0) !== SLASH) return sendProxyError(res, BAD_REQUEST, requestId);
    const table = closed ? undefined : getTable();
    if (table === undefined) return sendProxyError(res, NOT_READY, requestId);
    const queryAt = url.indexOf('?');
    const match = table.match(req.headers.host, queryAt === -1 ? url : url.slice(0, queryAt));
    if (match === undefined) return sendProxyError(res, NO_ROUTE, requestId);

    const route = match.route;
    const target = pickTarget(route);
    const exchange = new Exchange(req, res, requestId, route, target);
    const transferEncoding = req.headers['transfer-encoding'];
    if (transferEncoding !== undefined) exchange.transferEncoding = transferEncoding;
    (req as WithExchange)[EXCHANGE] = exchange;
    prepareUpstreamRequestHeaders(req, requestId);
    req.url = upstreamPath(target, match.forwardPath, queryAt === -1 ? '' : url.slice(queryAt));
    exchange.timer = setTimeout(onRequestTimeout, route.requestTimeoutMs, exchange);
    const upstream = agents.get(target);
    try {
      proxy.web(req, res, { target: upstream.target, agent: upstream.agent, connectTimeout: route.connectTimeoutMs });
    } catch (err) {
      // http.request throws synchronously on a request target it refuses.
      fail(exchange, err);
    }
  }

  function onProxyReq(proxyReq: ClientRequest, req: IncomingMessage): void {
    const exchange = exchangeOf(req);
    if (exchange === undefined) return;
    // The exchange ended while this request waited for a pooled socket.
    if (exchange.phase === DONE) proxyReq.destroy();
    else exchange.proxyReq = proxyReq;
  }

  function onProxyRes(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
    const exchange = exchangeOf(req);
    if (exchange === undefined || exchange.phase !== WAITING) {
      proxyRes.destroy();
      return;
    }
    clearTimeout(exchange.timer);
    exchange.timer = undefined;
    try {
      // No reason phrase: Node's standard one, as HTTP/2 has none to carry over.
      res.writeHead(proxyRes.statusCode ?? 502, clientResponseHeaders(proxyRes.rawHeaders, exchange.requestId));
    } catch (err) {
      // A status or header Node's parser let through but its writer refuses.
      proxyRes.destroy();
      fail(exchange, err, INVALID_RESPONSE);
      return;
    }
    exchange.phase = STREAMING;
    (proxyRes as WithExchange)[EXCHANGE] = exchange;
    proxyRes.on('error', onUpstreamBodyError);
    proxyRes.pipe(res);
  }

  /** The upstream response broke off mid-body, or the client left and http-proxy-3 tore it down. */
  function onUpstreamBodyError(this: IncomingMessage, err: Error): void {
    const exchange = exchangeOf(this);
    if (exchange === undefined || exchange.phase === DONE) return;
    exchange.phase = DONE;
    if (exchange.res.destroyed) return;
    // Headers are out: cutting the connection is the only way to tell the client the body is incomplete.
    exchange.res.destroy();
    logger.warn({ requestId: exchange.requestId, api: exchange.route.name, target: exchange.target.origin, err }, 'upstream response broke off');
  }

  function onProxyError(err: Error, req: IncomingMessage): void {
    const exchange = exchangeOf(req);
    if (exchange !== undefined) fail(exchange, err);
  }

  /** http-proxy-3 saw the client's connection reset and destroyed the upstream request. */
  function onClientGone(_err: Error, req: IncomingMessage): void {
    const exchange = exchangeOf(req);
    if (exchange === undefined) return;
    exchange.phase = DONE;
    clearTimeout(exchange.timer);
    exchange.timer = undefined;
  }

  function onRequestTimeout(exchange: Exchange): void {
    exchange.timer = undefined;
    if (exchange.phase !== WAITING) return;
    exchange.phase = DONE;
    // Without a socket yet, onProxyReq destroys the request when it gets one.
    exchange.proxyReq?.destroy();
    if (exchange.res.destroyed) return;
    sendProxyError(exchange.res, UPSTREAM_TIMEOUT, exchange.requestId);
    logger.warn(
      { requestId: exchange.requestId, api: exchange.route.name, target: exchange.target.origin, timeoutMs: exchange.route.requestTimeoutMs },
      'upstream response timed out',
    );
  }

  function fail(exchange: Exchange, err: unknown, failure: ProxyError = classifyUpstreamFailure(err)): void {
    if (exchange.phase === DONE) return;
    const streaming = exchange.phase === STREAMING;
    exchange.phase = DONE;
    clearTimeout(exchange.timer);
    exchange.timer = undefined;
    exchange.proxyReq?.destroy();
    const res = exchange.res;
    if (res.destroyed) return;
    if (streaming || res.headersSent) {
      res.destroy();
      return;
    }
    sendProxyError(res, failure, exchange.requestId);
    logger.warn({ requestId: exchange.requestId, api: exchange.route.name, target: exchange.target.origin, err }, failure.message);
  }

  return {
    handle,
    close(): void {
      closed = true;
      agents.close();
    },
  };
}

/** Runs after `deleteLength`: see the comment where it is installed. */
function restoreRequestFraming(req: IncomingMessage): void {
  const transferEncoding = exchangeOf(req)?.transferEncoding;
  if (transferEncoding !== undefined && req.headers['transfer-encoding'] === undefined) {
    delete req.headers['content-length'];
    req.headers['transfer-encoding'] = transferEncoding;
  }
}
