import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '@gw/errors';

/** A data-plane error answer: status, stable code and a message safe to show clients. */
export interface ProxyError {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers?: Readonly<Record<string, string>>;
}

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
