import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { BODY_TOO_LARGE, BUFFER_MEMORY_FULL } from '../edge/edge-errors.js';
import { refuseAtEdge } from '../edge/edge-refusal.js';
import type { BufferBudget, BufferKind } from './buffer-budget.js';

const BUFFERED: unique symbol = Symbol('gw.bufferedBody');

/**
 * Reads a request body into memory, up to `maxBytes` (the edge's `MAX_BODY_BYTES`, which
 * has already refused a larger `Content-Length` and counts chunked bodies as they come).
 * Resolves `undefined` when the client left or the body was too large (then the 413 is
 * answered). For requests whose body must be hashed before forwarding (idempotency
 * keys) and small bodies read before a target is picked (forwarding/request-buffering.ts).
 *
 * The bytes are reserved in `budget` (`BUFFER_MEMORY_BYTES`) until the response closes: a
 * declared `Content-Length` at once, a chunked body as it comes. When the budget cannot
 * hold them, the client gets 503 `GW_BUFFER_MEMORY_FULL` with `Retry-After` and the
 * connection closes; this resolves `undefined`.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, requestId: string, maxBytes: number, budget: BufferBudget, kind: BufferKind, reserved = false): Promise<Buffer | undefined> {
  const declared = req.headers['content-length'];
  const known = declared === undefined ? -1 : Number(declared);
  // `reserved`: the caller reserved the declared length already (request-buffering.ts).
  if (known > 0 && !reserved && !budget.reserve(res, known, kind)) {
    refuseAtEdge(res, BUFFER_MEMORY_FULL, requestId);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        if (!res.headersSent) refuseAtEdge(res, BODY_TOO_LARGE, requestId);
        settle(undefined);
        return;
      }
      if (known < 0 && !budget.reserve(res, chunk.length, kind)) {
        if (!res.headersSent) refuseAtEdge(res, BUFFER_MEMORY_FULL, requestId);
        settle(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => settle(Buffer.concat(chunks, size)));
    req.once('close', () => settle(undefined));
    req.once('error', () => settle(undefined));
  });
}

/**
 * Makes a request whose body was read by `readBody` forwardable: the forwarder sends a
 * body by piping the request into the try's body stream once its connection is up; for
 * this request, that pipe writes the buffered bytes instead. Framing headers stay as the client
 * sent them, which matches the bytes.
 */
export function replayBodyOnPipe(req: IncomingMessage, body: Buffer): void {
  (req as { [BUFFERED]?: boolean })[BUFFERED] = true;
  Object.defineProperty(req, 'pipe', {
    configurable: true,
    writable: true,
    value<T extends Writable>(destination: T, options?: { end?: boolean }): T {
      if (options?.end === false) destination.write(body);
      else destination.end(body);
      return destination;
    },
  });
}

/** The request's body was read into memory (`replayBodyOnPipe`): every try can send it again. */
export function hasBufferedBody(req: IncomingMessage): boolean {
  return (req as { [BUFFERED]?: boolean })[BUFFERED] === true;
}
