import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@gw/logging';
import { CONNECT_REFUSED, HEADERS_TOO_LARGE, MALFORMED_REQUEST, REQUEST_TIMEOUT } from './edge-errors.js';
import { refuseOnSocket } from './edge-refusal.js';
import { sendProxyError, type ProxyError } from '../error-response.js';

interface ParserError extends Error {
  code?: string;
}

const LAST_RESPONSE: unique symbol = Symbol('gw.lastResponse');
const REFUSED: unique symbol = Symbol('gw.clientErrorRefused');

/** What the listener keeps on a client socket: its newest response, and whether a parser error was answered. */
interface ClientSocket {
  [LAST_RESPONSE]?: ServerResponse;
  [REFUSED]?: boolean;
}

/**
 * Every response is handed here as its request arrives: Node answers a connection's
 * pipelined requests in order, so the newest response is the last one a parser error has
 * to wait for.
 */
export function trackResponse(req: IncomingMessage, res: ServerResponse): void {
  (req.socket as unknown as ClientSocket)[LAST_RESPONSE] = res;
}

/** The response closed: an idle keep-alive connection holds no finished response. */
export function forgetResponse(res: ServerResponse): void {
  const socket = res.req.socket as unknown as ClientSocket | null;
  if (socket !== null && socket[LAST_RESPONSE] === res) socket[LAST_RESPONSE] = undefined;
}

/**
 * The server's `clientError` listener: what Node's parser or its timers refused gets the
 * runtime's JSON error and `Connection: close` instead of Node's bare default, then the
 * connection is closed:
 * - headers (request line included) over `maxHeaderSize` → 431;
 * - `headersTimeout` / `requestTimeout` passed (slowloris) → 408;
 * - any other parse error (smuggling attempts, bad framing, bad bytes) → 400.
 *
 * Node reports a parse error as soon as the bad bytes arrive, even while requests
 * pipelined before them on the same connection are still being answered (it also keeps
 * feeding later bytes to the dead parser, so the error can come again: only the first
 * counts). The answers stay in request order, as nginx gives them:
 * - the newest request's body is what broke (its request is incomplete): that request
 *   gets the error as its own response, which closes the connection after it;
 * - the bad bytes follow complete requests whose responses are still to come: the error
 *   is written once the last of them is done, then the connection closes;
 * - nothing is pending: the error is written at once.
 * Nothing is written when the client's own socket failed or can no longer take it.
 */
export function answerClientError(err: ParserError, socket: Duplex, logger?: Logger): void {
  const s = socket as unknown as ClientSocket;
  if (s[REFUSED] === true) return;
  s[REFUSED] = true;
  const error = clientErrorAnswer(err.code);
  if (error === undefined) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  logger?.debug({ requestId, code: err.code, status: error.status }, 'client request refused by the HTTP parser');
  const last = s[LAST_RESPONSE];
  s[LAST_RESPONSE] = undefined;
  if (last === undefined || last.writableFinished || last.destroyed) return refuseOnSocket(socket, error, requestId);
  if (last.req.complete !== true) return sendProxyError(last, error, requestId);
  last.once('close', () => refuseOnSocket(socket, error, requestId));
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
