import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import type { Logger } from '@gw/logging';
import type { ApiRuntime } from '@gw/runtime-config';
import { hashKeyOf, isRetryableRequest, type TryFailure, type UpstreamTarget } from '@gw/upstreams';
import { admit } from './admission.js';
import { BODY_UNREAD, DONE, EXCHANGE, Exchange, abandonTry, exchangeOf, type WithExchange } from './exchange.js';
import type { ForwardingContext, ForwardingEvents } from './forwarding-context.js';
import { BufferBudget } from '../buffering/buffer-budget.js';
import { hasBufferedBody } from '../buffering/buffered-body.js';
import type { BufferSettings } from '../buffering/buffer-settings.js';
import { preparedClientAddress } from '../edge/forwarded-for.js';
import { FailureLog } from './failure-log.js';
import { bufferRequestBody, shouldBufferRequest } from './request-buffering.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface ForwarderOptions {
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  readonly events?: ForwardingEvents | undefined;
  readonly random?: () => number;
  /** Client timeouts (edge settings); both off when absent. */
  readonly clientSendTimeoutMs?: number;
  readonly clientBodyTimeoutMs?: number;
  /** The buffer budget and per-request bounds; no buffering without it. */
  readonly budget?: BufferBudget;
  /** The disk budget for responses spilled to temporary files; no spilling without it. */
  readonly diskBudget?: BufferBudget;
  readonly buffers?: BufferSettings;
  readonly maxBodyBytes?: number;
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
  /** Writes the aggregated failure lines now (on close, so nothing counted is lost). */
  flushLogs(): void;
}

/**
 * The forwarding flow of one request, over undici's dispatcher API and one keep-alive pool
 * per upstream origin (docs/decisions/0001-forwarding-engine.md says why undici and not
 * http-proxy-3, which proxies WebSocket upgrades). Each step is a file of this folder, in
 * the order a request meets them:
 *
 * 0. Here: the exchange (exchange.ts) is set up on the client response.
 * 1. Admission (admission.ts): the API's circuit breaker gives a slot (held until the
 *    response ends, across tries), queues the request, or refuses it at once with 503
 *    GW_CIRCUIT_OPEN.
 * 2. A try (upstream-try.ts): the balancer picks a healthy target (zone-aware, never one
 *    this request already tried while another exists); per-try timeout `requestMs` until
 *    response headers, `connectMs` for a new connection.
 * 3. Outcome (upstream-try.ts): 5xx responses and gateway failures count against the
 *    target (outlier detection) and in the breaker's window; anything else counts for it.
 * 4. Retry (retry-decision.ts), when all of these hold: `retries.on` names the failure;
 *    tries so far ≤ `attempts`; the method is idempotent or the request has an
 *    `Idempotency-Key`; no response byte went to the client (retries are decided before
 *    anything is written); the request has no body, or its body has not been read yet (see
 *    below); `totalMs` has time left; the retry budget allows it. The next try waits a
 *    jittered backoff.
 * 5. Relay (response-relay.ts): the answer's head, then its body with backpressure; a body
 *    that breaks off cuts the client connection.
 * 6. Here: `responseClosed` gives back what the request held.
 *
 * `totalMs` bounds admission wait, every try and backoff, until response headers.
 *
 * Request bodies and retries: a body with a `Content-Length` up to `REQUEST_BUFFER_BYTES`
 * is read whole first (request-buffering.ts), and so is an idempotent request's (policy
 * phase); either way the retry rule is the same as for a streamed body. A try that carries a body
 * opens the body to the upstream request only once undici writes the request on an
 * established connection (`onRequestStart`); a try that fails before (refused, connect
 * timeout) has read nothing, so the request can still be retried. Once the body has been
 * handed to a connection it may have been consumed, and the request is never sent again,
 * whatever the failure.
 *
 * The hot path allocates an `Exchange`, one `UpstreamTry` (undici's handler) per try and
 * the dispatch options; every listener is shared, and the exchange rides on the response.
 * The steps are module-level functions of the exchange; what they share per runtime
 * (pools, logger, events) is the one `ForwardingContext` made here, which the exchange
 * points to.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const context: ForwardingContext = {
    pools: options.pools,
    logger: options.logger,
    failures: new FailureLog(options.logger),
    events: options.events ?? {},
    random: options.random ?? Math.random,
    clientSendTimeoutMs: options.clientSendTimeoutMs ?? 0,
    clientBodyTimeoutMs: options.clientBodyTimeoutMs ?? 0,
    budget: options.budget ?? new BufferBudget(0),
    requestBufferBytes: options.budget === undefined ? 0 : (options.buffers?.requestBytes ?? 0),
    responseBufferBytes: options.budget === undefined ? 0 : (options.buffers?.responseBytes ?? 0),
    diskBudget: options.diskBudget ?? new BufferBudget(0),
    responseDiskBytes: options.diskBudget === undefined ? 0 : (options.buffers?.responseDiskBytes ?? 0),
    bufferDir: options.buffers?.dir ?? tmpdir(),
    maxBodyBytes: options.maxBodyBytes ?? Number.MAX_SAFE_INTEGER,
  };

  function forward(req: IncomingMessage, res: ServerResponse, requestId: string, api: ApiRuntime, forwardPath: string, query: string): void {
    if (res.socket === null) {
      // Pipelined behind a response still being sent: Node hands every pipelined request
      // over at once, so one slow-reading connection would hold as many upstream requests
      // (breaker slots, buffers) as it pipelines. Like nginx and HAProxy, take them one at
      // a time: this one is forwarded when its response gets the connection.
      res.once('socket', () => forward(req, res, requestId, api, forwardPath, query));
      return;
    }
    const upstream = api.upstream;
    const ex = new Exchange(context, req, res, requestId, api, upstream, forwardPath, query);
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
    if (upstream.hashOn !== null) ex.hashKey = hashKeyOf(upstream.hashOn, headers, preparedClientAddress(req));
    (res as WithExchange)[EXCHANGE] = ex;
    upstream.retryBudget.requestStarted();
    // A body the policy phase already read (idempotency key) is not read again.
    // The API may turn request buffering off (`upstream.buffering.requests`).
    if (ex.body === BODY_UNREAD && !hasBufferedBody(req) && options.buffering.requests && shouldBufferRequest(headers['content-length'], context.requestBufferBytes)) {
      return bufferRequestBody(ex, context.maxBodyBytes, begin);
    }
    begin(ex);
  }

  return { forward, responseClosed, pickTarget, flushLogs: () => context.failures.flush() };
}

/** The body is ready (streaming, or buffered): `totalMs` starts, then admission. */
function begin(ex: Exchange): void {
  // One timer per request: a single try's timeout is min(requestMs, totalMs); a request
  // that may wait or retry keeps a deadline every later timer is cut to.
  if (ex.retryable || ex.upstream.breaker !== undefined) ex.deadline = performance.now() + ex.upstream.definition.timeouts.totalMs;
  admit(ex);
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
  if (ex.cancelRetryWait !== undefined) {
    ex.cancelRetryWait();
    ex.cancelRetryWait = undefined;
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

function pickTarget(api: ApiRuntime, req: IncomingMessage): UpstreamTarget {
  const upstream = api.upstream;
  const hashKey = upstream.hashOn === null ? undefined : hashKeyOf(upstream.hashOn, req.headers, preparedClientAddress(req));
  return upstream.targets[upstream.pick(hashKey, undefined)]!;
}


export type { ForwardingEvents, TryFailure };
