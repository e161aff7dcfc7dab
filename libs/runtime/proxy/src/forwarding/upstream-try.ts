import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import { upstreamPath } from '@gw/upstreams';
import type { Dispatcher } from 'undici';
import { sendProxyError } from '../error-response.js';
import { BODY_SENT, DONE, NO_BODY, STREAMING, WAITING, abandonTry, clearTimers, endTry, fail, type Exchange, type ExchangeTry } from './exchange.js';
import { onStreamIdle, relayBrokeOff, relayChunk, relayEnd, relayResponseHead } from './response-relay.js';
import { awaitRetryBudget, beginRetry, mayRetry, type RetryGrant } from './retry-decision.js';
import { isRefusedConnect, tryFailureKind } from './try-failure.js';
import { UPSTREAM_TIMEOUT, classifyUpstreamFailure } from './upstream-failure.js';

/** The reason given to undici when the forwarder ends a try itself; never reaches a client. */
const ABANDONED = Object.assign(new Error('the gateway abandoned this upstream try'), { code: 'GW_TRY_ABANDONED' });

/**
 * One try's upstream request: undici's dispatch handler (undici calls its methods on
 * it), one instance per try. A try the exchange has moved on from is `stale`: its events
 * are ignored, and a response it still gets is aborted, or drained when it was a retried
 * 5xx (so the connection goes back to its pool).
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

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // The head's raw Buffers are views of the socket read that carried it (up to 64 KiB,
    // the body's first bytes included): kept on the controller, they would hold that whole
    // read for as long as the response runs. `headers` (strings) is all the relay needs.
    // Under a slow-read attack that was ~27 MB over ~620 responses (docs/slow-clients.md).
    controller.rawHeaders = null;
    // 1xx informational responses (103 Early Hints) are not relayed; the final one follows.
    if (statusCode < 200) return;
    onResponseHead(this, statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.stale) return;
    relayChunk(this.ex, controller, chunk);
  }

  onResponseEnd(): void {
    if (this.stale) return;
    relayEnd(this.ex);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.stale) return;
    onTryError(this, err);
  }
}

/**
 * Step 2 of forwarding: one try. The balancer picks a healthy target (zone-aware, never
 * one this request already tried while another exists); the exchange's one timer is set
 * to the per-try timeout, `requestMs` or the shorter `streamIdleMs` (a silence before the
 * response headers), cut to what is left of `totalMs` (`connectMs` is the pool's); the
 * request is dispatched to the target's pool with a new `UpstreamTry`.
 * Its outcome (step 3) counts for or against the target: a response head (below), a
 * failure (`onTryError`) or the timer (`onTryTimeout`); a failure the retry decision
 * (retry-decision.ts) allows starts the next try after a backoff, and a response head
 * that is the answer goes to the client (response-relay.ts).
 */
export function startTry(ex: Exchange): void {
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
  const tryMs = timeouts.streamIdleMs < timeouts.requestMs ? timeouts.streamIdleMs : timeouts.requestMs;
  ex.timerIsDeadline = leftMs <= tryMs;
  ex.timer = setTimeout(onTryTimeout, ex.timerIsDeadline ? leftMs : tryMs, ex);
  const endpoint = ex.context.pools.get(target, timeouts.connectMs);
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

/** The current try's response head: retry a retryable 5xx, or relay it to the client. */
function onResponseHead(t: UpstreamTry, status: number, headers: IncomingHttpHeaders): void {
  const ex = t.ex;
  if (ex.phase !== WAITING || ex.current !== t || ex.res.headersSent) {
    // A try the exchange moved on from, an exchange that is over, or one the gateway
    // answered itself meanwhile (a 413 on the body): this response is not wanted.
    t.abandon();
    return;
  }
  ex.timerIsDeadline = false;
  const upstream = ex.upstream;
  const failed = status >= 500;
  upstream.report(ex.targetIndex, !failed);
  const grant = failed && upstream.retryOn.status(status) ? mayRetry(ex, 'status') : false;
  if (grant) {
    // Nothing of this response reaches the client; it drains, and its connection goes back to the pool.
    t.stale = true;
    clearTimers(ex);
    endTry(ex);
    ex.lastFailure = undefined;
    return retry(ex, String(status), grant);
  }
  relayResponseHead(ex, status, headers);
}

/** The current try failed: before response headers (maybe retried), or mid-body. */
function onTryError(t: UpstreamTry, err: Error): void {
  const ex = t.ex;
  if (ex.current !== t) return;
  if (ex.phase === STREAMING) return relayBrokeOff(ex, err);
  if (ex.phase !== WAITING) return;
  const failure = classifyUpstreamFailure(err);
  if (ex.res.destroyed || ex.req.socket.destroyed) {
    // The client side failed: nothing to learn about the target.
    return fail(ex, err, failure);
  }
  const kind = tryFailureKind(err);
  ex.upstream.report(ex.targetIndex, false);
  const grant = kind !== 'invalid' && ex.upstream.retryOn.failure(kind) ? mayRetry(ex, isRefusedConnect(err) ? 'refused-connect' : 'failure') : false;
  if (grant) {
    ex.lastFailure = failure;
    ex.lastError = err;
    abandonTry(ex);
    return retry(ex, kind, grant);
  }
  fail(ex, err, failure);
}

function onTryTimeout(ex: Exchange): void {
  // The response head came in time: the timer now watches the body (response-relay.ts).
  if (ex.phase === STREAMING) return onStreamIdle(ex);
  ex.timer = undefined;
  if (ex.phase !== WAITING || ex.current === undefined) return;
  // For the target, running out of total time is a timeout like any other.
  ex.upstream.report(ex.targetIndex, false);
  if (ex.timerIsDeadline) return timedOut(ex);
  const grant = ex.upstream.retryOn.failure('timeout') ? mayRetry(ex, 'failure') : false;
  if (grant) {
    ex.lastFailure = UPSTREAM_TIMEOUT;
    abandonTry(ex);
    return retry(ex, 'timeout', grant);
  }
  timedOut(ex);
}

function timedOut(ex: Exchange): void {
  ex.phase = DONE;
  // Its connection is closed with it: a late response must not be read as the next one's.
  abandonTry(ex);
  if (ex.res.destroyed) return;
  sendProxyError(ex.res, UPSTREAM_TIMEOUT, ex.requestId);
  ex.context.failures.record(ex.api.name, ex.target?.origin, 'timeout', ex.requestId);
}

/** The next try, after the backoff the retry decision gives (cut to the total deadline). */
function retry(ex: Exchange, reason: string, grant: RetryGrant): void {
  if (grant === 'after-budget-wait') return awaitRetryBudget(ex, reason, startTry);
  ex.timer = setTimeout(startTry, beginRetry(ex, reason), ex);
}
