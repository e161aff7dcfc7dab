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

/**
 * Reads the body into the buffer budget, then goes on with `next` (admission); answers
 * itself when it cannot (the client left, the body is too large). When the budget cannot
 * hold the body (slow readers' responses hold it), the body streams unbuffered instead,
 * as if `REQUEST_BUFFER_BYTES` were 0: always safe, only less decoupled, and uploads keep
 * working whatever else holds the budget. (An idempotent request's body cannot stream: it
 * is hashed first, and gets 503 `GW_BUFFER_MEMORY_FULL` instead, policy-phase.ts.)
 */
export function bufferRequestBody(ex: Exchange, maxBodyBytes: number, next: (ex: Exchange) => void): void {
  // Counted as refused ('request') when it does not fit.
  if (!ex.context.budget.reserve(ex.res, Number(ex.req.headers['content-length']), 'request')) return next(ex);
  readBody(ex.req, ex.res, ex.requestId, maxBodyBytes, ex.context.budget, 'request', true).then(
    (body) => {
      // The client left, the budget refused (503 answered), or the exchange is over.
      if (body === undefined || ex.phase === DONE || ex.res.writableEnded) return;
      replayBodyOnPipe(ex.req, body);
      next(ex);
    },
    () => undefined,
  );
}
