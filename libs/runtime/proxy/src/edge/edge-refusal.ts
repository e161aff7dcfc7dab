import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { sendProxyError, type ProxyError } from '../error-response.js';
import { lingeringClose } from './early-answer.js';

/**
 * Answers an edge refusal and closes the connection afterwards: after a request the edge
 * did not trust, the rest of the byte stream (its body, a pipelined request) is not
 * worth parsing.
 */
export function refuseAtEdge(res: ServerResponse, error: ProxyError, requestId: string): void {
  res.shouldKeepAlive = false;
  sendProxyError(res, error, requestId);
}

/**
 * The same JSON error written straight to a socket that has no `ServerResponse`: a
 * refused WebSocket handshake, a request Node's parser rejected, a CONNECT. Always
 * `Connection: close`, then the same bounded lingering close as any early answer
 * (early-answer.ts): the client may still be sending, and a reset could destroy the
 * answer before it is read.
 */
export function refuseOnSocket(socket: Duplex, error: ProxyError, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ code: error.code, message: error.message, requestId });
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\n' +
      `X-Request-Id: ${requestId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  lingeringClose(socket, undefined);
}
