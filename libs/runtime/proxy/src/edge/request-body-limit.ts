import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_TOO_LARGE } from './edge-errors.js';
import { refuseAtEdge } from './edge-refusal.js';

type Push = IncomingMessage['push'];

/**
 * Counts a chunked request body against `maxBytes` as Node's parser hands it over, without
 * consuming it: the count sits in front of `push`, so it works whoever reads the body and
 * whenever (piped at once, or after a wait in a queue).
 *
 * Past the limit, the chunk that crosses it and everything after (the end of the body
 * included) are held back, so the upstream never receives a complete oversized request;
 * then the client gets 413 with `Connection: close` if no response has started, or the
 * connection is cut if one has. Closing the client connection is what aborts the
 * upstream request: the forwarding path treats it as a client that left.
 */
export function limitChunkedBody(req: IncomingMessage, res: ServerResponse, requestId: string, maxBytes: number): void {
  const push: Push = req.push;
  let received = 0;
  let over = false;
  req.push = function countedPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (over) return true; // held back; keep reading so the 413 can be written without a reset
    if (chunk === null) return push.call(this, chunk, encoding);
    received += (chunk as Buffer).length;
    if (received <= maxBytes) return push.call(this, chunk, encoding);
    over = true;
    overflow(req, res, requestId);
    return true;
  };
}

function overflow(req: IncomingMessage, res: ServerResponse, requestId: string): void {
  if (res.headersSent || res.writableEnded) {
    req.socket.destroy();
    return;
  }
  // Node closes the connection once this response is written (Connection: close), which
  // ends the upstream request as well.
  refuseAtEdge(res, BODY_TOO_LARGE, requestId);
}
