import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StoredResponse } from '@gw/idempotency';
import { closeIfBodyPending } from '../edge/early-answer.js';

type Headers = Readonly<Record<string, string | string[]>>;

/**
 * A policy's refusal (401, 403, 409, 422, 429, 503, …): the runtime's JSON error body
 * `{"code","message","requestId"}`, as `sendProxyError` writes it, with the policy's
 * headers (`WWW-Authenticate` may hold several challenges, hence arrays).
 */
export function sendPolicyError(res: ServerResponse, status: number, code: string, message: string, headers: Headers, requestId: string): void {
  if (res.destroyed || res.writableEnded || res.headersSent) return;
  closeIfBodyPending(res);
  const body = JSON.stringify({ code, message, requestId });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  res.end(body);
}

/** A CORS preflight answered by the gateway (never forwarded). */
export function answerPreflight(res: ServerResponse, headers: Headers, requestId: string): void {
  if (res.destroyed || res.writableEnded || res.headersSent) return;
  res.writeHead(204, { ...headers, 'content-length': 0, 'x-request-id': requestId });
  res.end();
}

/** The stored first response to a repeated idempotent request (it carries `Idempotent-Replayed: true`). */
export function sendReplay(res: ServerResponse, stored: StoredResponse, requestId: string): void {
  if (res.destroyed || res.writableEnded || res.headersSent) return;
  const flat: string[] = [];
  for (const [name, value] of stored.headers) flat.push(name, value);
  flat.push('content-length', String(stored.body.length), 'x-request-id', requestId);
  res.writeHead(stored.status, flat);
  res.end(stored.body);
}

/** A refused WebSocket handshake, written to the raw socket, then closed. */
export function refuseUpgrade(socket: Duplex, status: number, code: string, message: string, headers: Headers, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ code, message, requestId });
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [name, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  head += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body);
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}
