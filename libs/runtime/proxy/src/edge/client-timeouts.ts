import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_BODY_TIMEOUT } from './edge-errors.js';
import { refuseAtEdge } from './edge-refusal.js';

/**
 * `CLIENT_BODY_TIMEOUT_MS`: a request body that makes no progress for `ms` is cut — 408
 * (and the connection closes) if nothing was answered yet, else the connection closes.
 * Node's socket inactivity timer does the watching: it is armed while the body arrives
 * and disarmed when it is through, and Node's own timeout dispatch tells the request
 * (`'timeout'` reaches an incomplete request only). 0 turns it off.
 */
export function watchRequestBody(req: IncomingMessage, res: ServerResponse, requestId: string, ms: number): void {
  if (ms <= 0) return;
  const socket = req.socket;
  socket.setTimeout(ms);
  req.on('timeout', () => {
    if (res.headersSent || res.writableEnded) {
      socket.destroy();
      return;
    }
    refuseAtEdge(res, REQUEST_BODY_TIMEOUT, requestId);
  });
  req.once('end', () => {
    // Not when the response is already over (Node has set the keep-alive timer since), nor
    // while a send timeout watches a blocked response.
    if (!res.writableFinished && !res.writableNeedDrain && !socket.destroyed) socket.setTimeout(0);
  });
}

/**
 * `CLIENT_SEND_TIMEOUT_MS`: the response has more to write than the client takes (its
 * buffer is full): if the client reads nothing for `ms`, the socket's inactivity timer
 * destroys the connection, which abandons the upstream request and gives back what it
 * held. Called on backpressure and when a buffered response has been ended, and by a
 * spill for each read it hands over. Armed already at `ms`, it is left as it is: every write
 * and read restarts it anyway, and setting it again makes a new timer (one per 16 KiB read
 * of a spilled response).
 */
export function watchSend(res: ServerResponse, ms: number): void {
  const socket = res.req.socket;
  if (ms > 0 && socket !== null && !socket.destroyed && socket.timeout !== ms) socket.setTimeout(ms);
}

/** The client drained what was buffered: no send timeout while nothing waits (the body timeout again while a body arrives). */
export function sendFlowing(res: ServerResponse, bodyMs: number): void {
  const req = res.req;
  const socket = req.socket;
  if (socket === null || socket.destroyed) return;
  socket.setTimeout(req.complete ? 0 : bodyMs);
}

/** The part of an API's `upstream` definition that holds its client timeouts. */
interface ApiClientTimeouts {
  readonly timeouts: { readonly clientBodyMs?: number | undefined; readonly clientSendMs?: number | undefined };
}

/**
 * An API's own client timeouts (`upstream.timeouts.clientBodyMs` / `clientSendMs`, like
 * nginx's per-location `client_body_timeout` and `send_timeout`), or the runtime's
 * `CLIENT_BODY_TIMEOUT_MS` / `CLIENT_SEND_TIMEOUT_MS` where the API gives none.
 */
export function clientBodyTimeoutOf(upstream: ApiClientTimeouts, runtimeMs: number): number {
  return upstream.timeouts.clientBodyMs ?? runtimeMs;
}

export function clientSendTimeoutOf(upstream: ApiClientTimeouts, runtimeMs: number): number {
  return upstream.timeouts.clientSendMs ?? runtimeMs;
}
