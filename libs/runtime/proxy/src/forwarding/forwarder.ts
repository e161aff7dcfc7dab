import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { backoffDelay } from '@gw/backoff';
import type { Logger } from '@gw/logging';
import type { ApiRuntime } from '@gw/runtime-config';
import { ADMITTED, OPEN, hashKeyOf, isRetryableRequest, upstreamPath, type TryFailure, type UpstreamTarget } from '@gw/upstreams';
import type { Dispatcher } from 'undici';
import { CIRCUIT_FULL, CIRCUIT_OPEN, CIRCUIT_WAIT_EXPIRED } from './circuit-breaker-errors.js';
import { clientResponseHeaders } from './client-response-headers.js';
import { sendProxyError, type ProxyError } from '../error-response.js';
import { BODY_SENT, BODY_UNREAD, DONE, EXCHANGE, Exchange, NO_BODY, STREAMING, WAITING, exchangeOf, type ExchangeTry, type WithExchange } from './exchange.js';
import { tryFailureKind } from './try-failure.js';
import { INVALID_RESPONSE, UPSTREAM_TIMEOUT, classifyUpstreamFailure } from './upstream-failure.js';
import type { UpstreamPools } from './upstream-pools.js';

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
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  readonly events?: ForwardingEvents | undefined;
  readonly random?: () => number;
}

export interface Forwarder {
  /**
   * Forwards one routed request whose headers are ready for the upstream; answers the
   * client in every case. `query` is the client's query with its `?`, or `''`. The
   * caller must call `responseClosed` when the response closes.
   */
  forward(req: IncomingMessage, res: ServerResponse, requestId: string, api: ApiRuntime, forwardPath: string, query: string): void;
  /**
   * The client response closed (sent, failed, or the client left): ends the upstream try
   * if one is still running and gives back everything the request held. A no-op for a
   * response that was never forwarded.
   */
  responseClosed(res: ServerResponse): void;
  /** A target for a connection that is not retried (WebSocket upgrades): health- and zone-aware. */
  pickTarget(api: ApiRuntime, req: IncomingMessage): UpstreamTarget;
}

type Phase = 'connect-failure' | 'reset' | 'timeout' | 'status';

/** The reason given to undici when the forwarder ends a try itself; never reaches a client. */
const ABANDONED = Object.assign(new Error('the gateway abandoned this upstream try'), { code: 'GW_TRY_ABANDONED' });

/**
 * The forwarding flow of one request, over undici's dispatcher API and one keep-alive pool
 * per upstream origin (docs/decisions/0001-forwarding-engine.md says why undici and not
 * http-proxy-3, which proxies WebSocket upgrades):
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
 * opens the body to the upstream request only once undici writes the request on an
 * established connection (`onRequestStart`); a try that fails before (refused, connect
 * timeout) has read nothing, so the request can still be retried. Once the body has been
 * handed to a connection it may have been consumed, and the request is never sent again,
 * whatever the failure.
 *
 * The hot path allocates an `Exchange`, one `UpstreamTry` (undici's handler) per try and
 * the dispatch options; every listener is shared, and the exchange rides on the response.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { pools, logger } = options;
  const events = options.events ?? {};
  const random = options.random ?? Math.random;

  /**
   * One try's upstream request: undici's dispatch handler (undici calls its methods on
   * it). A try the exchange has moved on from is `stale`: its events are ignored, and a
   * response it still gets is aborted, or drained when it was a retried 5xx (so the
   * connection goes back to its pool).
   */
  class UpstreamTry implements Dispatcher.DispatchHandler, ExchangeTry {
    controller: Dispatcher.DispatchController | undefined = undefined;
    stale = false;
    /** Between the client body and this try's upstream request; opened once connected. */
    gate: PassThrough | undefined = undefined;

    constructor(readonly ex: Exchange) {}

    abandon(): void {
      this.stale = true;
      // Without a controller the request has not started: onRequestStart aborts it.
      this.controller?.abort(ABANDONED);
    }

    resume(): void {
      this.controller?.resume();
    }

    onRequestStart(controller: Dispatcher.DispatchController): void {
      this.controller = controller;
      if (this.stale) return controller.abort(ABANDONED);
      // The connection is up and the request is being written: the body is being consumed from now on.
      const gate = this.gate;
      if (gate !== undefined) {
        this.ex.body = BODY_SENT;
        this.ex.req.pipe(gate);
      }
    }

    onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
      // 1xx informational responses (103 Early Hints) are not relayed; the final one follows.
      if (statusCode < 200) return;
      onResponseHead(this, statusCode, headers);
    }

    onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
      if (this.stale) return;
      const res = this.ex.res;
      if (!res.write(chunk)) {
        // Backpressure: stop reading the upstream until the client has taken what it has.
        controller.pause();
        res.once('drain', onClientDrain);
      }
    }

    onResponseEnd(): void {
      if (this.stale) return;
      const ex = this.ex;
      ex.phase = DONE;
      ex.current = undefined;
      ex.res.end();
    }

    onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
      if (this.stale) return;
      onTryError(this, err);
    }
  }

  function forward(req: IncomingMessage, res: ServerResponse, requestId: string, api: ApiRuntime, forwardPath: string, query: string): void {
    const upstream = api.upstream;
    const ex = new Exchange(req, res, requestId, api, upstream, forwardPath, query);
    const headers = req.headers;
    if (headers['transfer-encoding'] !== undefined) {
      // The edge let only a lone `chunked` through; undici frames a body of unknown length
      // as chunked itself (and refuses the header).
      delete headers['transfer-encoding'];
      ex.body = BODY_UNREAD;
    } else {
      const length = headers['content-length'];
      if (length !== undefined && length !== '0') ex.body = BODY_UNREAD;
    }
    const options = upstream.definition;
    ex.retryable = options.retries.attempts > 0 && isRetryableRequest(req.method, headers['idempotency-key']);
    if (upstream.hashOn !== null) ex.hashKey = hashKeyOf(upstream.hashOn, headers, clientAddress(req));
    (res as WithExchange)[EXCHANGE] = ex;
    upstream.retryBudget.requestStarted();

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
    events.circuitRejected?.(ex.api.name, reason);
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
    const i = upstream.pick(ex.hashKey, ex.tried);
    const target = upstream.targets[i]!;
    ex.tries++;
    ex.targetIndex = i;
    ex.target = target;
    upstream.tryStarted(i);
    ex.activeTarget = i;
    const timeouts = upstream.definition.timeouts;
    // Whole milliseconds: Node keeps one timer list per distinct duration, and a fractional
    // one would make a new list (and a priority-queue insert) for every request.
    const leftMs = ex.deadline === 0 ? timeouts.totalMs : Math.max(1, Math.ceil(ex.deadline - performance.now()));
    ex.timerIsDeadline = leftMs <= timeouts.requestMs;
    ex.timer = setTimeout(onTryTimeout, ex.timerIsDeadline ? leftMs : timeouts.requestMs, ex);
    const endpoint = pools.get(target, timeouts.connectMs);
    const req = ex.req;
    const headers = req.headers;
    // The target's Host (`hostname[:port]`), as upstreams behind a gateway expect; the
    // client's travels as X-Forwarded-Host. `hostRewrite` names another one.
    headers.host = upstream.definition.hostRewrite ?? endpoint.host;
    const t = new UpstreamTry(ex);
    if (ex.body !== NO_BODY) t.gate = new PassThrough();
    ex.current = t;
    // A request undici refuses (it validates method, path and headers again) fails here,
    // synchronously, through onResponseError: no try reached the network.
    endpoint.pool.dispatch({ path: upstreamPath(target, ex.forwardPath, ex.query), method: req.method!, headers, body: t.gate ?? null }, t);
  }

  /** The current try's response head: retry a retryable 5xx, or start streaming it to the client. */
  function onResponseHead(t: UpstreamTry, status: number, headers: IncomingHttpHeaders): void {
    const ex = t.ex;
    if (ex.phase !== WAITING || ex.current !== t || ex.res.headersSent) {
      // A try the exchange moved on from, an exchange that is over, or one the gateway
      // answered itself meanwhile (a 413 on the body): this response is not wanted.
      t.abandon();
      return;
    }
    clearTimeout(ex.timer);
    ex.timer = undefined;
    ex.timerIsDeadline = false;
    const upstream = ex.upstream;
    const failed = status >= 500;
    upstream.report(ex.targetIndex, !failed);
    if (failed && upstream.retryOn.status(status) && mayRetry(ex)) {
      // Nothing of this response reaches the client; it drains, and its connection goes back to the pool.
      t.stale = true;
      endTry(ex);
      ex.lastFailure = undefined;
      return retry(ex, String(status));
    }
    try {
      // No reason phrase: Node's standard one, as HTTP/2 has none to carry over.
      ex.res.writeHead(status, clientResponseHeaders(headers, ex.requestId));
    } catch (err) {
      // A header Node's writer refuses.
      fail(ex, err, INVALID_RESPONSE);
      return;
    }
    ex.phase = STREAMING;
  }

  /** The current try failed: before response headers (maybe retried), or mid-body. */
  function onTryError(t: UpstreamTry, err: Error): void {
    const ex = t.ex;
    if (ex.current !== t) return;
    if (ex.phase === STREAMING) {
      ex.phase = DONE;
      ex.current = undefined;
      if (ex.res.destroyed) return;
      // The target broke a response it had started: a gateway failure.
      ex.upstream.report(ex.targetIndex, false);
      // Headers are out: cutting the connection is the only way to tell the client the body is incomplete.
      ex.res.destroy();
      logger.warn({ requestId: ex.requestId, api: ex.api.name, target: ex.target?.origin, err }, 'upstream response broke off');
      return;
    }
    if (ex.phase !== WAITING) return;
    const failure = classifyUpstreamFailure(err);
    if (ex.res.destroyed || ex.req.socket.destroyed) {
      // The client side failed: nothing to learn about the target.
      return fail(ex, err, failure);
    }
    const kind = tryFailureKind(err);
    ex.upstream.report(ex.targetIndex, false);
    if (kind !== 'invalid' && ex.upstream.retryOn.failure(kind) && mayRetry(ex)) {
      ex.lastFailure = failure;
      ex.lastError = err;
      abandonTry(ex);
      return retry(ex, kind);
    }
    fail(ex, err, failure);
  }

  function onTryTimeout(ex: Exchange): void {
    ex.timer = undefined;
    if (ex.phase !== WAITING || ex.current === undefined) return;
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
    // Its connection is closed with it: a late response must not be read as the next one's.
    abandonTry(ex);
    if (ex.res.destroyed) return;
    sendProxyError(ex.res, UPSTREAM_TIMEOUT, ex.requestId);
    const timeouts = ex.upstream.definition.timeouts;
    logger.warn(
      { requestId: ex.requestId, api: ex.api.name, target: ex.target?.origin, tries: ex.tries, requestMs: timeouts.requestMs, totalMs: timeouts.totalMs },
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
    if (ex.tries > upstream.definition.retries.attempts) return false;
    if (ex.deadline === 0 || ex.deadline - performance.now() <= 0) return false;
    const budget = upstream.retryBudget;
    if (ex.holdsRetry) {
      budget.retryEnded();
      ex.holdsRetry = false;
    }
    if (!budget.tryAcquire()) {
      events.retryBudgetExhausted?.(ex.api.name);
      logger.debug({ requestId: ex.requestId, api: ex.api.name }, 'retry budget exhausted');
      return false;
    }
    ex.holdsRetry = true;
    return true;
  }

  function retry(ex: Exchange, reason: Phase | string): void {
    (ex.tried ??= []).push(ex.targetIndex);
    const retries = ex.upstream.definition.retries;
    // Before retry n (n = tries so far, 1-based): random in [0, min(max, base × 2^(n-1))).
    const backoff = backoffDelay(ex.tries - 1, { baseMs: retries.backoffBaseMs, capMs: retries.backoffMaxMs }, random);
    const leftMs = Math.max(0, Math.ceil(ex.deadline - performance.now()));
    ex.timerIsDeadline = leftMs <= backoff;
    const delay = ex.timerIsDeadline ? leftMs : backoff;
    events.retry?.(ex.api.name, reason);
    logger.debug({ requestId: ex.requestId, api: ex.api.name, target: ex.target?.origin, reason, tries: ex.tries, backoffMs: delay }, 'retrying upstream request');
    ex.timer = setTimeout(startTry, delay, ex);
  }

  /** The try is over (its outcome recorded): release what it held. */
  function endTry(ex: Exchange): void {
    ex.current = undefined;
    if (ex.activeTarget !== -1) {
      ex.upstream.tryEnded(ex.activeTarget);
      ex.activeTarget = -1;
    }
  }

  /** Ends the current try, if any: releases what it held and tears down its upstream request without further events. */
  function abandonTry(ex: Exchange): void {
    clearTimers(ex);
    const t = ex.current;
    endTry(ex);
    t?.abandon();
  }

  function fail(ex: Exchange, err: unknown, failure: ProxyError): void {
    if (ex.phase === DONE) return;
    const streaming = ex.phase === STREAMING;
    ex.phase = DONE;
    abandonTry(ex);
    const res = ex.res;
    if (res.destroyed) return;
    if (streaming || res.headersSent) {
      res.destroy();
      return;
    }
    sendProxyError(res, failure, ex.requestId);
    logger.warn({ requestId: ex.requestId, api: ex.api.name, target: ex.target?.origin, tries: ex.tries, err }, failure.message);
  }

  function responseClosed(res: ServerResponse): void {
    const ex = exchangeOf(res);
    if (ex === undefined) return;
    // The client left (or the gateway answered itself) before the upstream's response was
    // through: end the try. Otherwise this only clears what is left.
    ex.phase = DONE;
    abandonTry(ex);
    const upstream = ex.upstream;
    if (ex.pending !== undefined) {
      upstream.breaker?.cancel(ex.pending);
      ex.pending = undefined;
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

  function pickTarget(api: ApiRuntime, req: IncomingMessage): UpstreamTarget {
    const upstream = api.upstream;
    const hashKey = upstream.hashOn === null ? undefined : hashKeyOf(upstream.hashOn, req.headers, clientAddress(req));
    return upstream.targets[upstream.pick(hashKey, undefined)]!;
  }

  return { forward, responseClosed, pickTarget };
}

/** The client took what was buffered: the streaming try reads from its upstream again. */
function onClientDrain(this: ServerResponse): void {
  exchangeOf(this)?.current?.resume();
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

export type { TryFailure };
