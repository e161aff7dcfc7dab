import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What we accept from a caller: short and free of anything that could break a header or a log line. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Echoes a well-formed incoming `X-Request-Id` (so a caller can correlate across hops) or
 * generates a UUID, and sets it on the response before any handler can fail.
 */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals['requestId'] = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

/** The id `requestIdMiddleware` assigned; a fresh one if it did not run (for errors raised before it). */
export function getRequestId(res: Response): string {
  const id: unknown = res.locals['requestId'];
  if (typeof id === 'string') return id;
  const fresh = randomUUID();
  res.locals['requestId'] = fresh;
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, fresh);
  return fresh;
}
