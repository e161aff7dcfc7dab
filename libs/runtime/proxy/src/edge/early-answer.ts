import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * How long a connection answered before its request body was through keeps reading (and
 * discarding) what the client still sends before it is destroyed. Closing at once with
 * unread bytes makes the kernel send a reset, which can destroy the answer before the
 * client has read it; reading on for a bounded while lets the answer arrive intact.
 */
export const LINGER_MS = 2_000;

const LINGERING: unique symbol = Symbol('gw.lingering');
const REQUEST: unique symbol = Symbol('gw.lingerRequest');

interface LingerSocket extends Duplex {
  destroySoon?: () => void;
  [LINGERING]?: boolean;
  [REQUEST]?: IncomingMessage;
}

const CHUNKED: unique symbol = Symbol('gw.chunkedBody');

interface MaybeChunked {
  [CHUNKED]?: boolean;
}

/**
 * The edge admitted a chunked body: remembered apart from the header, which the
 * forwarder removes from `req.headers` (undici frames the upstream body itself).
 */
export function noteChunkedBody(req: IncomingMessage): void {
  (req as MaybeChunked)[CHUNKED] = true;
}

/** The request announced a body (Content-Length above 0, or chunked) that has not fully arrived. */
export function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const headers = req.headers;
  if ((req as MaybeChunked)[CHUNKED] === true || headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * The gateway answers `res` itself (an error, a refusal, a timeout): when the request's
 * body is still arriving, the answer carries `Connection: close` and the connection ends
 * after it with a bounded linger instead of staying open for the rest of the body — and
 * for a second response (a 408 when `REQUEST_TIMEOUT_MS` passes) on the same connection.
 * Call before the answer's head is written.
 */
export function closeIfBodyPending(res: ServerResponse): void {
  const req = res.req;
  if (req === undefined || !bodyPending(req)) return;
  res.shouldKeepAlive = false;
  const socket = req.socket as LingerSocket;
  socket[REQUEST] = req;
  // Node ends a `Connection: close` response's socket with destroySoon (end, then destroy
  // once flushed): this socket lingers instead.
  socket.destroySoon = lingerInstead;
}

function lingerInstead(this: LingerSocket): void {
  lingeringClose(this, this[REQUEST]);
}

/**
 * Ends the connection after what has been written (FIN), discards whatever the client
 * still sends, and destroys it when the client closes its side or after `LINGER_MS`.
 * Nothing more is answered on it: the listener refuses requests on an ended socket, and a
 * parser timeout finds it not writable.
 */
export function lingeringClose(socket: Duplex, req: IncomingMessage | undefined): void {
  const s = socket as LingerSocket;
  if (s[LINGERING] === true || s.destroyed) return;
  s[LINGERING] = true;
  s[REQUEST] = undefined;
  if (req !== undefined) {
    // A try's body pipe may hold the request paused; the rest of the body goes nowhere now.
    req.unpipe();
    req.resume();
  }
  // A socket no parser reads any more (a refused upgrade handshake) is read here, to
  // nowhere. Never one Node's parser still reads: it pauses and resumes that one itself.
  if (s.listenerCount('data') === 0) s.resume();
  s.end();
  const timer = setTimeout(() => s.destroy(), LINGER_MS);
  s.once('close', () => clearTimeout(timer));
  s.once('end', () => s.destroy());
}

/** The response is over but its request body is not: close the connection (lingering) rather than keep it alive. */
export function closeAfterIncompleteBody(req: IncomingMessage): void {
  if (req.complete) return;
  const socket = req.socket;
  if (socket === null || socket.destroyed) return;
  lingeringClose(socket, req);
}
