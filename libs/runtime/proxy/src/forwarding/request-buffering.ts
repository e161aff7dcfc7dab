import { readBody, replayBodyOnPipe } from '../buffering/buffered-body.js';
import { DONE, type Exchange } from './exchange.js';

/**
 * A small body (a `Content-Length` up to `REQUEST_BUFFER_BYTES`) is read whole before the
 * request is admitted, so a client that trickles it holds no breaker slot, no target and
 * no upstream connection meanwhile (nginx's `proxy_request_buffering`). Larger and chunked
 * bodies stream as before.
 */
export function shouldBufferRequest(contentLength: string | undefined, limitBytes: number): boolean {
  if (limitBytes <= 0 || contentLength === undefined) return false;
  const n = Number(contentLength);
  return n > 0 && n <= limitBytes;
}

/** Reads the body into the buffer budget, then goes on with `next` (admission); answers itself when it cannot. */
export function bufferRequestBody(ex: Exchange, maxBodyBytes: number, next: (ex: Exchange) => void): void {
  readBody(ex.req, ex.res, ex.requestId, maxBodyBytes, ex.context.budget, 'request').then(
    (body) => {
      // The client left, the budget refused (503 answered), or the exchange is over.
      if (body === undefined || ex.phase === DONE || ex.res.writableEnded) return;
      replayBodyOnPipe(ex.req, body);
      next(ex);
    },
    () => undefined,
  );
}
