import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PendingRequest, Upstream, UpstreamTarget } from '@gw/upstreams';
import type { ApiRuntime } from '@gw/runtime-config';
import type { ResponseSpill } from '../buffering/response-spill.js';
import { clientBodyTimeoutOf, clientSendTimeoutOf } from '../edge/client-timeouts.js';
import { sendProxyError, type ProxyError } from '../error-response.js';
import type { ForwardingContext } from './forwarding-context.js';

/** Waiting for the upstream's response headers (or for a breaker slot, or between tries). */
export const WAITING = 0;
/** Upstream response headers sent on to the client; the body is streaming. */
export const STREAMING = 1;
/** Answered, timed out, or the client left: later events are ignored. */
export const DONE = 2;

export type ExchangePhase = typeof WAITING | typeof STREAMING | typeof DONE;

/** The request has no body (no Content-Length above 0, no Transfer-Encoding): any try may resend it. */
export const NO_BODY = 0;
/** It has a body nobody has read yet: a try that fails before connecting may be retried. */
export const BODY_UNREAD = 1;
/** Its body was handed to an upstream connection: it can never be sent again. */
export const BODY_SENT = 2;

export type BodyState = typeof NO_BODY | typeof BODY_UNREAD | typeof BODY_SENT;

/**
 * Where an exchange is stored on the client response, so one shared listener per event
 * reads it back instead of a set of closures per request, and the policy phase can see
 * how the forwarding went.
 */
export const EXCHANGE: unique symbol = Symbol('gw.exchange');

/** The exchange's view of one try in flight (`UpstreamTry`, undici's dispatch handler: upstream-try.ts). */
export interface ExchangeTry {
  /** Ends this try's upstream request (and its connection, when it has one); its later events are ignored. */
  abandon(): void;
  /** Reads from the upstream again after backpressure paused it. */
  resume(): void;
}

export interface WithExchange {
  [EXCHANGE]?: Exchange;
}

/**
 * The state of one proxied request, from routing to the end of the response, across its
 * tries: what the forwarding steps (admission, upstream try, retry decision, response
 * relay) share. The functions after it end a try or the whole exchange, for every step.
 */
export class Exchange {
  phase: ExchangePhase = WAITING;
  /**
   * The one timer of the exchange: the breaker wait, the per-try timeout, or the backoff
   * before the next try, each cut to what is left of `totalMs`; then, while the body
   * streams, the watch for a silent upstream (`streamIdleMs`, measured from
   * `lastHeardAt`). Never two at once.
   */
  timer: NodeJS.Timeout | undefined = undefined;
  /** `performance.now()` of the response head or its last body chunk (or the client's last drain). */
  lastHeardAt = 0;
  /** Backpressure has paused the upstream: the silence is the client's, not the upstream's. */
  upstreamPaused = false;
  /** The running timer ends at the total deadline (it was cut to what was left of `totalMs`). */
  timerIsDeadline = false;
  /** `performance.now()` at which `totalMs` runs out; 0 when the request neither waits nor retries. */
  deadline = 0;
  /** The current try, from its dispatch until it is over (answered, failed or abandoned). */
  current: ExchangeTry | undefined = undefined;
  /** Tries started so far (1 = the first). */
  tries = 0;
  /** The current (or last) try's target index in `upstream.targets`, and the target. */
  targetIndex = -1;
  target: UpstreamTarget | undefined = undefined;
  /** Target indexes of earlier tries, so a retry goes elsewhere. */
  tried: number[] | undefined = undefined;
  /** The target whose in-flight count this exchange holds (-1: none). */
  activeTarget = -1;
  /** Holds one of the breaker's slots. */
  holdsSlot = false;
  /** Holds one retry of the retry budget. */
  holdsRetry = false;
  /** A retry after a failure waits for a place in the retry budget (retry-decision.ts); cancels that wait. */
  cancelRetryWait: (() => void) | undefined = undefined;
  /** Waiting in the breaker's queue. */
  pending: PendingRequest | undefined = undefined;
  body: BodyState = NO_BODY;
  /** Waiting for the client's 'drain' (a send timeout is armed meanwhile). */
  awaitingDrain = false;
  /** Holds a response-buffer reservation: keeps reading the upstream while the client lags, up to the bound. */
  responseBuffered = false;
  /** The rest of the response goes through a temporary file (response-spill.ts); `spilled` stays true once one was started. */
  spill: ResponseSpill | undefined = undefined;
  spilled = false;
  /** What the lagging connection holds outside a reservation, charged in the memory budget until it drains (response-relay.ts, chargeLagging). */
  laggingCharge = 0;
  /** The response is server-sent events (never buffered), and its Content-Length (-1: none). */
  responseStreams = false;
  responseLength = -1;
  /** The client timeouts of this request: the API's, or the runtime's (edge/client-timeouts.ts); 0 = off. */
  readonly clientSendTimeoutMs: number;
  readonly clientBodyTimeoutMs: number;
  /** The method and headers allow more than one try. */
  retryable = false;
  /** The consistent-hashing key, when the upstream hashes. */
  hashKey: string | undefined = undefined;
  /** What the client gets if the total timeout strikes between tries. */
  lastFailure: ProxyError | undefined = undefined;
  lastError: unknown = undefined;

  constructor(
    /** What the forwarding steps of this runtime share (pools, logger, events). */
    readonly context: ForwardingContext,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly api: ApiRuntime,
    readonly upstream: Upstream,
    /** The path the route forwards (before each target's own prefix). */
    readonly forwardPath: string,
    /** The client's query with its `?`, or `''`. */
    readonly query: string,
  ) {
    this.clientSendTimeoutMs = clientSendTimeoutOf(upstream.definition, context.clientSendTimeoutMs);
    this.clientBodyTimeoutMs = clientBodyTimeoutOf(upstream.definition, context.clientBodyTimeoutMs);
  }
}

export function exchangeOf(carrier: object): Exchange | undefined {
  return (carrier as WithExchange)[EXCHANGE];
}

/** Clears the exchange's one timer (breaker wait, per-try timeout, backoff or stream-idle watch). */
export function clearTimers(ex: Exchange): void {
  clearTimeout(ex.timer);
  ex.timer = undefined;
}

/** The try is over (its outcome recorded): release what it held. */
export function endTry(ex: Exchange): void {
  ex.current = undefined;
  if (ex.activeTarget !== -1) {
    ex.upstream.tryEnded(ex.activeTarget);
    ex.activeTarget = -1;
  }
}

/** Ends the current try, if any: releases what it held and tears down its upstream request without further events. */
export function abandonTry(ex: Exchange): void {
  clearTimers(ex);
  const t = ex.current;
  endTry(ex);
  t?.abandon();
}

/** Ends the exchange with `failure` as the client's answer (or a cut connection once the response has started). */
export function fail(ex: Exchange, err: unknown, failure: ProxyError): void {
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
  ex.context.failures.record(ex.api.name, ex.target?.origin, failure.code, ex.requestId, err);
}
