import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@gw/logging';
import { CONNECT_REFUSED, HEADERS_TOO_LARGE, MALFORMED_REQUEST, REQUEST_TIMEOUT } from './edge-errors.js';
import { refuseOnSocket } from './edge-refusal.js';
import type { ProxyError } from '../error-response.js';

interface ParserError extends Error {
  code?: string;
}

/** The response a Node server is writing on a socket (internal, but stable since Node 0.x). */
interface SocketWithResponse {
  _httpMessage?: { headersSent?: boolean } | null;
}

/**
 * The server's `clientError` listener: what Node's parser or its timers refused gets the
 * runtime's JSON error and `Connection: close` instead of Node's bare default, then the
 * connection is closed:
 * - headers (request line included) over `maxHeaderSize` → 431;
 * - `headersTimeout` / `requestTimeout` passed (slowloris) → 408;
 * - any other parse error (smuggling attempts, bad framing, bad bytes) → 400.
 * Nothing is written when a response on this connection has already started, or the
 * error is the client's own socket failing.
 */
export function answerClientError(err: ParserError, socket: Duplex, logger?: Logger): void {
  const error = clientErrorAnswer(err.code);
  const inFlight = (socket as unknown as SocketWithResponse)._httpMessage;
  if (error === undefined || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  logger?.debug({ requestId, code: err.code, status: error.status }, 'client request refused by the HTTP parser');
  refuseOnSocket(socket, error, requestId);
}

export function clientErrorAnswer(code: string | undefined): ProxyError | undefined {
  if (code === 'HPE_HEADER_OVERFLOW') return HEADERS_TOO_LARGE;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return REQUEST_TIMEOUT;
  if (code !== undefined && code.startsWith('HPE_')) return MALFORMED_REQUEST;
  return undefined;
}

/** The server's `connect` listener: the runtime is not a forward proxy (405, then close). */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  refuseOnSocket(socket, CONNECT_REFUSED, randomUUID());
}
