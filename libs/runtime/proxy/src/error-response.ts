import type { ServerResponse } from 'node:http';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { closeIfBodyPending } from './edge/early-answer.js';

/** A data-plane error answer: status, stable code and a message safe to show clients. */
export interface ProxyError {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** No config applied yet (or the handler is closed): the runtime never serves an empty table. */
export const NOT_READY: ProxyError = Object.freeze({ status: 503, code: ErrorCodes.GW_NOT_READY, message: 'the gateway has no configuration yet' });
export const NO_ROUTE: ProxyError = Object.freeze({ status: 404, code: ErrorCodes.GW_NO_ROUTE, message: 'no API matches this host and path' });

/**
 * Answers with the runtime's JSON error body `{"code","message","requestId"}` and the
 * `X-Request-Id` header. Does nothing when the client is gone; when the response has
 * already started, the only honest signal left is to cut the connection.
 */
export function sendProxyError(res: ServerResponse, error: ProxyError, requestId: string): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Drop whatever was staged for a response that will not be sent.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  // Answered before the body was through: this connection carries no further request.
  closeIfBodyPending(res);
  const body = JSON.stringify({ code: error.code, message: error.message, requestId });
  res.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
    ...error.headers,
  });
  res.end(body);
}
