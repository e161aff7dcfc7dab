import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { RESPONSE_BUFFER_SHARE } from '../buffering/buffer-settings.js';
import { ResponseSpill, SPILL_MEMORY_BYTES, SPILL_WRITE_QUEUE_BYTES } from '../buffering/response-spill.js';
import { sendFlowing, watchSend } from '../edge/client-timeouts.js';
import { clientResponseHeaders } from './client-response-headers.js';
import { DONE, STREAMING, abandonTry, clearTimers, endTry, exchangeOf, fail, type Exchange } from './exchange.js';
import { INVALID_RESPONSE } from './upstream-failure.js';

/**
 * Step 5 of forwarding: relaying the response that is the answer (a try's response head
 * that was not retried, upstream-try.ts) to the client: its head, its body streamed with
 * backpressure and watched for silence (`streamIdleMs`), its end, or its breaking off
 * mid-body.
 */
export function relayResponseHead(ex: Exchange, status: number, headers: IncomingHttpHeaders): void {
  try {
    // No reason phrase: Node's standard one, as HTTP/2 has none to carry over.
    ex.res.writeHead(status, clientResponseHeaders(headers, ex.requestId));
  } catch (err) {
    // A header Node's writer refuses.
    fail(ex, err, INVALID_RESPONSE);
    return;
  }
  ex.phase = STREAMING;
  // What response buffering needs to know, should the client lag (keepReading).
  const type = headers['content-type'];
  // Server-sent events, and every response of an API that turned response buffering off
  // (`upstream.buffering.responses`), stream with plain backpressure.
  ex.responseStreams = (type !== undefined && type.startsWith('text/event-stream')) || !ex.upstream.definition.buffering.responses;
  const length = headers['content-length'];
  ex.responseLength = length === undefined ? -1 : Number(length);
  // The try's timer keeps running and, when it fires, measures the body's silence from
  // here (onStreamIdle): no timer is cleared and set again per response, and a chunk only
  // takes the time instead of moving a timer.
  ex.lastHeardAt = performance.now();
}

/**
 * One body chunk to the client. When the client lags (its connection buffers), the send
 * timeout is armed until it drains, and the upstream goes on being read into the response
 * buffer while it holds less than `RESPONSE_BUFFER_BYTES` (reserved in the buffer budget),
 * so the upstream and the breaker slot are free once the upstream is done; beyond that,
 * the rest goes to a temporary file while the disk budget holds it (response-spill.ts);
 * otherwise, and always for server-sent events, the upstream is paused until the client
 * drains (plain backpressure).
 */
export function relayChunk(ex: Exchange, controller: Dispatcher.DispatchController, chunk: Buffer): void {
  ex.lastHeardAt = performance.now();
  const spill = ex.spill;
  if (spill !== undefined) {
    if (spill.append(chunk)) return;
    controller.pause();
    ex.upstreamPaused = true;
    return;
  }
  const res = ex.res;
  if (res.write(chunk)) return;
  awaitClientDrain(ex);
  if (keepReading(ex)) return;
  if (!startSpill(ex)) {
    controller.pause();
    ex.upstreamPaused = true;
  }
  chargeLagging(ex, chunk);
}

/**
 * What a paused upstream connection reads ahead: once its parser stops, its socket still
 * takes one more read (libuv reads up to 64 KiB at a time, whatever the stream's
 * high-water mark), held until the client drains.
 */
export const UPSTREAM_READ_AHEAD_BYTES = 64 * 1024;

/**
 * Charges what a lagging client's connection holds outside any reservation once its
 * response is not buffered in memory, in `BUFFER_MEMORY_BYTES`, measured at each stall
 * and given back when the connection drains (onClientDrain) or the response closes: the
 * bytes queued on the connection, at least the whole upstream read the last chunk is a
 * view of (a queued view keeps all of it), and, while the upstream is paused, its
 * socket's read-ahead. 2,000 slow readers hold over 100 MB that way: charged, memory buffering
 * gives way to the disk and to backpressure as lagging connections add up. A spill's own
 * memory is charged apart (startSpill).
 */
function chargeLagging(ex: Exchange, chunk: Buffer): void {
  if (ex.responseBuffered) return;
  const held = Math.max(ex.res.writableLength, chunk.buffer.byteLength) + (ex.upstreamPaused ? UPSTREAM_READ_AHEAD_BYTES : 0);
  const budget = ex.context.budget;
  if (held > ex.laggingCharge) budget.charge(ex.res, held - ex.laggingCharge);
  else budget.discharge(ex.res, ex.laggingCharge - held);
  ex.laggingCharge = held;
}

/** The client's connection buffers: wait (once) for its 'drain', and arm the send timeout meanwhile. */
function awaitClientDrain(ex: Exchange): void {
  if (ex.awaitingDrain) return;
  ex.awaitingDrain = true;
  ex.res.once('drain', onClientDrain);
  // A client that takes nothing more for CLIENT_SEND_TIMEOUT_MS loses its connection.
  watchSend(ex.res, ex.clientSendTimeoutMs);
}

/** Whether the lagging client's response may buffer more of the upstream's body. */
function keepReading(ex: Exchange): boolean {
  const bound = ex.context.responseBufferBytes;
  const res = ex.res;
  if (bound === 0 || res.writableLength >= bound) return false;
  if (ex.responseBuffered) return true;
  if (ex.responseStreams) return false;
  const length = ex.responseLength;
  const bytes = length > 0 && length < bound ? length : bound;
  const budget = ex.context.budget;
  if (!budget.reserve(res, bytes, 'response', budget.limitBytes * RESPONSE_BUFFER_SHARE)) return false;
  ex.responseBuffered = true;
  return true;
}

/** The reason under which spills that could not open their file are counted (FailureLog). */
export const SPILL_UNAVAILABLE = 'response-spill-unavailable';

/**
 * Whether the rest of the lagging client's response goes to a temporary file: a response
 * with a Content-Length up to `RESPONSE_DISK_BYTES` (its whole length reserved in
 * `BUFFER_DISK_BYTES`), never server-sent events or a response of unknown length.
 */
function startSpill(ex: Exchange): boolean {
  const context = ex.context;
  const length = ex.responseLength;
  if (ex.spilled || ex.responseStreams || length <= 0 || length > context.responseDiskBytes) return false;
  if (!context.diskBudget.reserve(ex.res, length, 'response')) return false;
  ex.spilled = true;
  // The spill's own memory (its disk queue and one read), charged like a lagging connection's;
  // the disk queue's part is given back once the upstream is done and written (writesDone).
  const budget = context.budget;
  budget.charge(ex.res, SPILL_MEMORY_BYTES);
  ex.spill = new ResponseSpill(ex.res, context.bufferDir, ex.clientSendTimeoutMs, {
    resumeUpstream: () => {
      ex.upstreamPaused = false;
      ex.current?.resume();
    },
    openFailed: (err) => spillFailed(ex, err),
    writesDone: () => budget.discharge(ex.res, SPILL_WRITE_QUEUE_BYTES),
  });
  return true;
}

/** The temporary file could not be opened: the response streams with backpressure, as without a spill. */
function spillFailed(ex: Exchange, err: unknown): void {
  ex.spill = undefined;
  // Counted with the forwarding failures, one line per interval: a full or read-only BUFFER_DIR fails every spill alike.
  ex.context.failures.record(ex.api.name, undefined, SPILL_UNAVAILABLE, ex.requestId, err);
  const res = ex.res;
  if (ex.phase === DONE) {
    // The upstream finished meanwhile (relayEnd handed the end to the spill): everything is queued on the connection.
    res.end();
    if (!res.writableFinished) watchSend(res, ex.clientSendTimeoutMs);
    return;
  }
  // A running upstream meets backpressure at its next chunk (relayChunk); a paused one waits for the client.
  if (!ex.upstreamPaused) return;
  if (!res.writableNeedDrain) {
    ex.upstreamPaused = false;
    ex.current?.resume();
  } else {
    awaitClientDrain(ex);
  }
}

/** The client took what was buffered: the try reads from its upstream again if it was paused. */
function onClientDrain(this: ServerResponse): void {
  const ex = exchangeOf(this);
  if (ex === undefined) return;
  ex.awaitingDrain = false;
  ex.lastHeardAt = performance.now();
  // Nothing is queued on the connection any more, and a paused upstream reads on.
  if (ex.laggingCharge > 0) {
    ex.context.budget.discharge(this, ex.laggingCharge);
    ex.laggingCharge = 0;
  }
  sendFlowing(this, ex.clientBodyTimeoutMs);
  // A spill feeds the client itself and resumes the upstream when the disk catches up.
  if (ex.upstreamPaused && ex.spill === undefined) {
    ex.upstreamPaused = false;
    ex.current?.resume();
  }
}

/**
 * The exchange's timer fired while the body streams (the try's timer, or one this sets
 * again). Unless `streamIdleMs` has gone by since the upstream was last heard from, it is
 * set for the rest of that time; while backpressure holds the upstream back the silence is
 * the client's, so the watch starts over. Otherwise the response is stuck: a gateway
 * failure for the target, and the client's connection is cut (headers are out, so that is
 * the only way to say the body is incomplete).
 */
export function onStreamIdle(ex: Exchange): void {
  ex.timer = undefined;
  if (ex.phase !== STREAMING) return;
  const idleMs = ex.upstream.definition.timeouts.streamIdleMs;
  const silentMs = ex.upstreamPaused ? 0 : performance.now() - ex.lastHeardAt;
  if (silentMs < idleMs) {
    // Whole milliseconds, as in startTry: one timer list per distinct duration.
    ex.timer = setTimeout(onStreamIdle, Math.max(1, Math.ceil(idleMs - silentMs)), ex);
    return;
  }
  ex.phase = DONE;
  ex.upstream.report(ex.targetIndex, false);
  abandonTry(ex);
  ex.res.destroy();
  ex.context.events.streamIdle?.(ex.api.name);
  ex.context.failures.record(ex.api.name, ex.target?.origin, 'stream-idle', ex.requestId);
}

/**
 * The upstream's body is complete: its connection goes back to the pool (undici), and the
 * target's in-flight count and the breaker slot are given back now, not when a slow client
 * has taken the rest.
 */
export function relayEnd(ex: Exchange): void {
  ex.phase = DONE;
  endTry(ex);
  clearTimers(ex);
  if (ex.holdsSlot) {
    ex.holdsSlot = false;
    ex.upstream.breaker?.release();
  }
  if (ex.spill !== undefined) return ex.spill.end();
  const res = ex.res;
  res.end();
  // What the client has not taken yet is still buffered here: it must take it in time.
  if (!res.writableFinished) watchSend(res, ex.clientSendTimeoutMs);
}

/** The target broke a response it had started: a gateway failure, and the client's connection is cut. */
export function relayBrokeOff(ex: Exchange, err: Error): void {
  ex.phase = DONE;
  ex.current = undefined;
  clearTimers(ex);
  if (ex.res.destroyed) return;
  ex.upstream.report(ex.targetIndex, false);
  // Headers are out: cutting the connection is the only way to tell the client the body is incomplete.
  ex.res.destroy();
  ex.context.failures.record(ex.api.name, ex.target?.origin, 'broke-off', ex.requestId, err);
}
