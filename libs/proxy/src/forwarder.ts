import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  ADMITTED,
  OPEN,
  backoffDelay,
  hashKeyOf,
  isRetryableRequest,
  upstreamOptionsFromSnapshot,
  type TryFailure,
  type Upstream,
  type UpstreamRegistry,
} from '@gw/balancing';
import type { Logger } from '@gw/logging';
import { upstreamPath, type Route, type RouteTarget } from '@gw/routing';
import { createProxyServer } from 'http-proxy-3';
import { CIRCUIT_FULL, CIRCUIT_OPEN, CIRCUIT_WAIT_EXPIRED } from './circuit-breaker-errors.js';
import { clientResponseHeaders } from './client-response-headers.js';
import { sendProxyError, type ProxyError } from './error-response.js';
import {
  BODY_SENT,
  BODY_UNREAD,
  DONE,
  EXCHANGE,
  Exchange,
  NO_BODY,
  STREAMING,
  TRY,
  WAITING,
  exchangeOf,
  type WithExchange,
} from './exchange.js';
import { tryFailureKind } from './try-failure.js';
import type { UpstreamAgents } from './upstream-agents.js';
import { INVALID_RESPONSE, UPSTREAM_TIMEOUT, classifyUpstreamFailure } from './upstream-failure.js';

/** What happened, for metrics; every hook is optional and called synchronously. */
export interface ForwardingEvents {
  /** A retry was started on API `api` after `reason` (`connect-failure`, `reset`, `timeout` or a status). */
  retry?(api: string, reason: string): void;
  /** A retry was wanted but the retry budget refused it. */
  retryBudgetExhausted?(api: string): void;
  /** The breaker refused a request: `open`, `full` (no slot and no room to wait) or `wait-expired`. */
  circuitRejected?(api: string, reason: 'open' | 'full' | 'wait-expired'): void;
}

export interface ForwarderOptions {
  readonly agents: UpstreamAgents;
  readonly upstreams: UpstreamRegistry;
  readonly logger: Logger;
  readonly events?: ForwardingEvents | undefined;
  readonly random?: () => number;
}

export interface Forwarder {
  /**
   * Forwards one routed request whose headers are ready for the upstream; answers the
   * client in every case. `query` is the client's query with its `?`, or `''`.
   */
  forward(req: IncomingMessage, res: ServerResponse, requestId: string, route: Route, forwardPath: string, query: string): void;
  /** The runtime state of a route's upstream (balancer, health, breaker, budget). */
  upstreamOf(route: Route): Upstream;
  /** A target for a connection that is not retried (WebSocket upgrades): health- and zone-aware. */
  pickTarget(route: Route, req: IncomingMessage): RouteTarget;
}

type Phase = 'connect-failure' | 'reset' | 'timeout' | 'status';

/**
 * The forwarding flow of one request, over http-proxy-3 and per-origin keep-alive pools:
 *
 * 1. Admission: the API's circuit breaker gives a slot (held until the response ends, across
 *    tries), queues the request, or refuses it at once with 503 GW_CIRCUIT_OPEN.
 * 2. A try: the balancer picks a healthy target (zone-aware, never one this request
 *    already tried while another exists); per-try timeout `requestMs` until response
 *    headers, `connectMs` for a new connection.
 * 3. Outcome: 5xx responses and gateway failures count against the target (outlier
 *    detection) and in the breaker's window; anything else counts for it.
 * 4. Retry, when all of these hold: `retries.on` names the failure; tries so far ≤
 *    `attempts`; the method is idempotent or the request has an `Idempotency-Key`; no
 *    response byte went to the client (retries are decided before anything is written);
 *    the request has no body, or its body has not been read yet (see below); `totalMs`
 *    has time left; the retry budget allows it. The next try waits a jittered backoff.
 * 5. `totalMs` bounds admission wait, every try and backoff, until response headers.
 *
 * Request bodies and retries: the body is never buffered. A try that carries a body
 * opens the body to the upstream request only once its connection is established; a
 * try that fails before (refused, connect timeout) has read nothing, so the request can
 * still be retried. Once the body has been handed to a connection it may have been
 * consumed, and the request is never sent again, whatever the failure.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { agents, upstreams, logger } = options;
  const events = options.events ?? {};
  const random = options.random ?? Math.random;
  /** Routes of live tables to their upstream state; a new table's routes resolve once each. */
  const byRoute = new WeakMap<Route, Upstream>();

  const proxy = createProxyServer({
    // Host becomes the target's (`host[:port]`), as upstreams behind a gateway expect;
    // the client's Host travels as X-Forwarded-Host. `hostRewrite` turns it off per try.
    changeOrigin: true,
    // Forward `req.url` verbatim: the default re-parses it with `new URL`, which costs an
    // allocation per request and normalizes the path (`/a/../b` → `/b`) after routing
    // has already decided on the raw one.
    toProxy: true,
    // Response headers are filtered and written here (hop-by-hop, request id), after the
    // retry decision: nothing reaches the client from a try that is retried.
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

  function upstreamOf(route: Route): Upstream {
    let upstream = byRoute.get(route);
    if (upstream === undefined) {
      upstream = upstreams.resolve(route.name, upstreamOptionsFromSnapshot(route.upstream));
      byRoute.set(route, upstream);
    }
    return upstream;
  }

  function forward(req: IncomingMessage, res: ServerResponse, requestId: string, route: Route, forwardPath: string, query: string): void {
    const upstream = upstreamOf(route);
    const ex = new Exchange(req, res, requestId, route, upstream, forwardPath, query);
    const headers = req.headers;
    const transferEncoding = headers['transfer-encoding'];
    if (transferEncoding !== undefined) {
      ex.transferEncoding = transferEncoding;
      ex.body = BODY_UNREAD;
    } else {
      const length = headers['content-length'];
      if (length !== undefined && length !== '0') ex.body = BODY_UNREAD;
    }
    const options = upstream.options;
    ex.retryable = options.retries.attempts > 0 && isRetryableRequest(req.method, headers['idempotency-key']);
    if (upstream.hashOn !== null) ex.hashKey = hashKeyOf(upstream.hashOn, headers, clientAddress(req));
    if (route.upstream.hostRewrite !== '') headers.host = route.upstream.hostRewrite;
    (req as WithExchange)[EXCHANGE] = ex;
    (res as WithExchange)[EXCHANGE] = ex;
    upstream.retryBudget.requestStarted();
    // 'close' comes once per response: a plain listener, without `once`'s wrapper.
    res.on('close', onResponseClose);

    const breaker = upstream.breaker;
    // One timer per request: a single try's timeout is min(requestMs, totalMs); a request
    // that may wait or retry keeps a deadline every later timer is cut to.
    if (ex.retryable || breaker !== undefined) ex.deadline = performance.now() + options.timeouts.totalMs;
    if (breaker === undefined) return startTry(ex);
    const admission = breaker.tryAcquire();
    if (admission === ADMITTED) {
      ex.holdsSlot = true;
      return startTry(ex);
    }
    if (admission !== OPEN) {
      const pending = { grant: (granted: boolean) => onSlot(ex, granted) };
      if (breaker.enqueue(pending)) {
        ex.pending = pending;
        ex.timer = setTimeout(onWaitTimeout, options.timeouts.totalMs, ex);
        return;
      }
    }
    reject(ex, admission === OPEN ? CIRCUIT_OPEN : CIRCUIT_FULL, admission === OPEN ? 'open' : 'full');
  }

  function onSlot(ex: Exchange, granted: boolean): void {
    ex.pending = undefined;
    clearTimeout(ex.timer);
    ex.timer = undefined;
    if (!granted) return reject(ex, CIRCUIT_OPEN, 'open');
    if (ex.phase !== WAITING) {
      // Over while it waited (cancelling normally prevents this): hand the slot straight back.
      ex.upstream.breaker?.release();
      return;
    }
    ex.holdsSlot = true;
    startTry(ex);
  }

  function reject(ex: Exchange, error: ProxyError, reason: 'open' | 'full' | 'wait-expired'): void {
    if (ex.phase === DONE) return;
    ex.phase = DONE;
    clearTimers(ex);
    events.circuitRejected?.(ex.route.name, reason);
    sendProxyError(ex.res, error, ex.requestId);
  }

  function startTry(ex: Exchange): void {
    ex.timer = undefined;
    if (ex.phase !== WAITING) return;
    if (ex.timerIsDeadline) {
      // The backoff ran into the total deadline: the last try's failure is the answer.
      ex.timerIsDeadline = false;
      return fail(ex, ex.lastError, ex.lastFailure ?? UPSTREAM_TIMEOUT);
    }
    const upstream = ex.upstream;
    const route = ex.route;
    const i = upstream.pick(ex.hashKey, ex.tried);
    const target = route.targets[i]!;
    ex.tries++;
    ex.inTry = true;
    ex.targetIndex = i;
    ex.target = target;
    ex.proxyReq = undefined;
    upstream.tryStarted(i);
    ex.activeTarget = i;
    ex.req.url = upstreamPath(target, ex.forwardPath, ex.query);
    const timeouts = upstream.options.timeouts;
    // Whole milliseconds: Node keeps one timer list per distinct duration, and a fractional
    // one would make a new list (and a priority-queue insert) for every request.
    const leftMs = ex.deadline === 0 ? timeouts.totalMs : Math.max(1, Math.ceil(ex.deadline - performance.now()));
    ex.timerIsDeadline = leftMs <= timeouts.requestMs;
    ex.timer = setTimeout(onTryTimeout, ex.timerIsDeadline ? leftMs : timeouts.requestMs, ex);
    const endpoint = agents.get(target);
    const tryOptions: Record<string | symbol, unknown> = { target: endpoint.target, agent: endpoint.agent, connectTimeout: timeouts.connectMs, [TRY]: ex.tries };
    if (route.upstream.hostRewrite !== '') tryOptions['changeOrigin'] = false;
    if (ex.body !== NO_BODY) {
      // http-proxy-3 pipes this into the upstream request; the client body flows into it once connected.
      ex.gate = new PassThrough();
      tryOptions['buffer'] = ex.gate;
    }
    try {
      proxy.web(ex.req, ex.res, tryOptions);
    } catch (err) {
      // http.request throws synchronously on a request target it refuses: no try happened.
      ex.inTry = false;
      fail(ex, err, classifyUpstreamFailure(err));
    }
  }

  function onProxyReq(proxyReq: ClientRequest, req: IncomingMessage, _res: ServerResponse, tryOptions: object, socket: Socket): void {
    const ex = exchangeOf(req);
    if (ex === undefined) return;
    // An abandoned try (timed out while it waited for a pooled socket) or a finished exchange.
    if (ex.phase === DONE || (tryOptions as { [TRY]?: number })[TRY] !== ex.tries || !ex.inTry) {
      discard(proxyReq);
      return;
    }
    ex.proxyReq = proxyReq;
    if (ex.body === NO_BODY) return;
    if (socket.connecting) {
      const tryNo = ex.tries;
      socket.once('connect', () => openBody(ex, tryNo));
    } else {
      openBody(ex, ex.tries);
    }
  }

  /** The try's connection is up: from now on the body is being consumed, and the request can never be resent. */
  function openBody(ex: Exchange, tryNo: number): void {
    if (ex.phase !== WAITING || ex.tries !== tryNo || !ex.inTry || ex.gate === undefined) return;
    ex.body = BODY_SENT;
    ex.req.pipe(ex.gate);
  }

  function onProxyRes(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
    const ex = exchangeOf(req);
    const owner = (proxyRes as { req?: ClientRequest }).req;
    // (Without a `proxyReq` event, which http-proxy-3 skips for `Expect`, the try adopts its request here.)
    if (ex !== undefined && ex.inTry && ex.proxyReq === undefined) ex.proxyReq = owner;
    if (ex === undefined || ex.phase !== WAITING || !ex.inTry || owner !== ex.proxyReq) {
      proxyRes.destroy();
      return;
    }
    clearTimeout(ex.timer);
    ex.timer = undefined;
    ex.timerIsDeadline = false;
    const status = proxyRes.statusCode ?? 502;
    const upstream = ex.upstream;
    const failed = status >= 500;
    upstream.report(ex.targetIndex, !failed);
    if (failed && upstream.retryOn.status(status) && mayRetry(ex)) {
      // Nothing of this response reaches the client; draining returns the connection to its pool.
      proxyRes.resume();
      proxyRes.on('error', ignore);
      detach(ex.proxyReq!);
      endTry(ex);
      ex.lastFailure = undefined;
      return retry(ex, String(status));
    }
    try {
      // No reason phrase: Node's standard one, as HTTP/2 has none to carry over.
      res.writeHead(status, clientResponseHeaders(proxyRes.rawHeaders, ex.requestId));
    } catch (err) {
      // A status or header Node's parser let through but its writer refuses.
      proxyRes.destroy();
      fail(ex, err, INVALID_RESPONSE);
      return;
    }
    ex.phase = STREAMING;
    (proxyRes as WithExchange)[EXCHANGE] = ex;
    proxyRes.on('error', onUpstreamBodyError);
    proxyRes.pipe(res);
  }

  /** The upstream response broke off mid-body, or the client left and http-proxy-3 tore it down. */
  function onUpstreamBodyError(this: IncomingMessage, err: Error): void {
    const ex = exchangeOf(this);
    if (ex === undefined || ex.phase === DONE) return;
    ex.phase = DONE;
    if (ex.res.destroyed) return;
    // The target broke a response it had started: a gateway failure.
    ex.upstream.report(ex.targetIndex, false);
    // Headers are out: cutting the connection is the only way to tell the client the body is incomplete.
    ex.res.destroy();
    logger.warn({ requestId: ex.requestId, api: ex.route.name, target: ex.target?.origin, err }, 'upstream response broke off');
  }

  function onProxyError(err: Error, req: IncomingMessage): void {
    const ex = exchangeOf(req);
    if (ex === undefined || ex.phase === DONE) return;
    if (ex.phase === STREAMING || ex.res.destroyed || req.socket.destroyed || !ex.inTry) {
      // The client side failed (or this is a late echo): nothing to learn about the target.
      return fail(ex, err, classifyUpstreamFailure(err));
    }
    const kind = tryFailureKind(err);
    ex.upstream.report(ex.targetIndex, false);
    const failure = classifyUpstreamFailure(err);
    if (kind !== 'invalid' && ex.upstream.retryOn.failure(kind) && mayRetry(ex)) {
      ex.lastFailure = failure;
      ex.lastError = err;
      abandonTry(ex);
      return retry(ex, kind);
    }
    fail(ex, err, failure);
  }

  /** http-proxy-3 saw the client's connection reset and destroyed the upstream request. */
  function onClientGone(_err: Error, req: IncomingMessage): void {
    const ex = exchangeOf(req);
    if (ex === undefined) return;
    ex.phase = DONE;
    clearTimers(ex);
  }

  function onTryTimeout(ex: Exchange): void {
    ex.timer = undefined;
    if (ex.phase !== WAITING || !ex.inTry) return;
    // For the target, running out of total time is a timeout like any other.
    ex.upstream.report(ex.targetIndex, false);
    if (ex.timerIsDeadline) return timedOut(ex);
    if (ex.upstream.retryOn.failure('timeout') && mayRetry(ex)) {
      ex.lastFailure = UPSTREAM_TIMEOUT;
      abandonTry(ex);
      return retry(ex, 'timeout');
    }
    timedOut(ex);
  }

  /** The request waited in the breaker's queue for all of `totalMs`. */
  function onWaitTimeout(ex: Exchange): void {
    ex.timer = undefined;
    if (ex.phase !== WAITING || ex.pending === undefined) return;
    ex.upstream.breaker?.cancel(ex.pending);
    ex.pending = undefined;
    reject(ex, CIRCUIT_WAIT_EXPIRED, 'wait-expired');
  }

  function timedOut(ex: Exchange): void {
    ex.phase = DONE;
    clearTimers(ex);
    // Without a socket yet, onProxyReq discards the request when it gets one.
    if (ex.proxyReq !== undefined) discard(ex.proxyReq);
    if (ex.res.destroyed) return;
    sendProxyError(ex.res, UPSTREAM_TIMEOUT, ex.requestId);
    const timeouts = ex.upstream.options.timeouts;
    logger.warn(
      { requestId: ex.requestId, api: ex.route.name, target: ex.target?.origin, tries: ex.tries, requestMs: timeouts.requestMs, totalMs: timeouts.totalMs },
      'upstream response timed out',
    );
  }

  /**
   * Whether this exchange may try again, and if so takes the retry budget for it. Never
   * after a response byte went out (retries are decided before anything is written).
   */
  function mayRetry(ex: Exchange): boolean {
    if (!ex.retryable || ex.body === BODY_SENT || ex.res.headersSent) return false;
    const upstream = ex.upstream;
    if (ex.tries > upstream.options.retries.attempts) return false;
    if (ex.deadline === 0 || ex.deadline - performance.now() <= 0) return false;
    const budget = upstream.retryBudget;
    if (ex.holdsRetry) {
      budget.retryEnded();
      ex.holdsRetry = false;
    }
    if (!budget.tryAcquire()) {
      events.retryBudgetExhausted?.(ex.route.name);
      logger.debug({ requestId: ex.requestId, api: ex.route.name }, 'retry budget exhausted');
      return false;
    }
    ex.holdsRetry = true;
    return true;
  }

  function retry(ex: Exchange, reason: Phase | string): void {
    (ex.tried ??= []).push(ex.targetIndex);
    const retries = ex.upstream.options.retries;
    const backoff = backoffDelay(ex.tries, retries.backoffBaseMs, retries.backoffMaxMs, random);
    const leftMs = Math.max(0, Math.ceil(ex.deadline - performance.now()));
    ex.timerIsDeadline = leftMs <= backoff;
    const delay = ex.timerIsDeadline ? leftMs : backoff;
    events.retry?.(ex.route.name, reason);
    logger.debug({ requestId: ex.requestId, api: ex.route.name, target: ex.target?.origin, reason, tries: ex.tries, backoffMs: delay }, 'retrying upstream request');
    ex.timer = setTimeout(startTry, delay, ex);
  }

  /** The try is over (its outcome recorded): release what it held. */
  function endTry(ex: Exchange): void {
    ex.inTry = false;
    if (ex.activeTarget !== -1) {
      ex.upstream.tryEnded(ex.activeTarget);
      ex.activeTarget = -1;
    }
    ex.proxyReq = undefined;
    ex.gate = undefined;
  }

  /** Ends a failed try and tears down its upstream request without further events. */
  function abandonTry(ex: Exchange): void {
    clearTimeout(ex.timer);
    ex.timer = undefined;
    const proxyReq = ex.proxyReq;
    endTry(ex);
    if (proxyReq !== undefined) discard(proxyReq);
  }

  function fail(ex: Exchange, err: unknown, failure: ProxyError): void {
    if (ex.phase === DONE) return;
    const streaming = ex.phase === STREAMING;
    ex.phase = DONE;
    clearTimers(ex);
    if (ex.proxyReq !== undefined) discard(ex.proxyReq);
    const res = ex.res;
    if (res.destroyed) return;
    if (streaming || res.headersSent) {
      res.destroy();
      return;
    }
    sendProxyError(res, failure, ex.requestId);
    logger.warn({ requestId: ex.requestId, api: ex.route.name, target: ex.target?.origin, tries: ex.tries, err }, failure.message);
  }

  /** The client response is over (sent, failed, or the client left): give back everything held. */
  function onResponseClose(this: ServerResponse): void {
    const ex = exchangeOf(this);
    if (ex === undefined) return;
    if (ex.phase === WAITING) {
      // The client left before an answer; http-proxy-3 destroys the upstream request.
      ex.phase = DONE;
      if (ex.proxyReq !== undefined) discard(ex.proxyReq);
    }
    clearTimers(ex);
    const upstream = ex.upstream;
    if (ex.pending !== undefined) {
      upstream.breaker?.cancel(ex.pending);
      ex.pending = undefined;
    }
    if (ex.activeTarget !== -1) {
      upstream.tryEnded(ex.activeTarget);
      ex.activeTarget = -1;
    }
    if (ex.holdsRetry) {
      upstream.retryBudget.retryEnded();
      ex.holdsRetry = false;
    }
    upstream.retryBudget.requestEnded();
    if (ex.holdsSlot) {
      ex.holdsSlot = false;
      upstream.breaker?.release();
    }
  }

  function clearTimers(ex: Exchange): void {
    clearTimeout(ex.timer);
    ex.timer = undefined;
  }

  function pickTarget(route: Route, req: IncomingMessage): RouteTarget {
    const upstream = upstreamOf(route);
    const hashKey = upstream.hashOn === null ? undefined : hashKeyOf(upstream.hashOn, req.headers, clientAddress(req));
    return route.targets[upstream.pick(hashKey, undefined)]!;
  }

  return { forward, upstreamOf, pickTarget };
}

/**
 * The client address consistent hashing uses: the leftmost `X-Forwarded-For` entry the
 * edge wrote (the address it trusts, after its trusted proxy hops), else the peer.
 */
function clientAddress(req: IncomingMessage): string | undefined {
  const xff = req.headers['x-forwarded-for'];
  if (typeof xff === 'string' && xff !== '') {
    const comma = xff.indexOf(',');
    return (comma === -1 ? xff : xff.slice(0, comma)).trim();
  }
  return req.socket.remoteAddress;
}

/** Stops an upstream request's errors from reaching the forwarding flow (they would count against the current try). */
function detach(proxyReq: ClientRequest): void {
  proxyReq.removeAllListeners('error');
  proxyReq.on('error', ignore);
}

/** Tears down an upstream request whose events nobody wants any more. */
function discard(proxyReq: ClientRequest): void {
  detach(proxyReq);
  proxyReq.destroy();
}

function ignore(): void {}

/** Runs after `deleteLength`: see the comment where it is installed. */
function restoreRequestFraming(req: IncomingMessage): void {
  const transferEncoding = exchangeOf(req)?.transferEncoding;
  if (transferEncoding !== undefined && req.headers['transfer-encoding'] === undefined) {
    delete req.headers['content-length'];
    req.headers['transfer-encoding'] = transferEncoding;
  }
}

export type { TryFailure };
