import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { BODY_TOO_LARGE } from '../edge/edge-errors.js';
import { refuseAtEdge } from '../edge/edge-refusal.js';

/**
 * Reads a request body into memory, up to `maxBytes` (the edge's `MAX_BODY_BYTES`, which
 * has already refused a larger `Content-Length` and counts chunked bodies as they come).
 * Resolves `undefined` when the client left or the body was too large (then the 413 is
 * answered). Only for requests whose body must be hashed before forwarding (idempotency
 * keys); everything else streams.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, requestId: string, maxBytes: number): Promise<Buffer | undefined> {
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
