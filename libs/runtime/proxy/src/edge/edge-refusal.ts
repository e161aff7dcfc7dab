import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { sendProxyError, type ProxyError } from '../error-response.js';

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
 * `Connection: close`; the socket is destroyed once the answer is flushed.
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
  // end() sends FIN after the answer; destroy then, without waiting for the client.
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}
