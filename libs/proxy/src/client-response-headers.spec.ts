import { describe, expect, it } from 'vitest';
import { clientResponseHeaders } from './client-response-headers.js';

describe('clientResponseHeaders', () => {
  it('keeps end-to-end headers with their case and repeats, and appends the request id', () => {
    const raw = ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Length', '2'];
    expect(clientResponseHeaders(raw, 'rid')).toEqual([...raw, 'x-request-id', 'rid']);
  });
  it('drops hop-by-hop headers, those listed in Connection, Transfer-Encoding and the upstream request id', () => {
    const raw = [
      'Connection', 'keep-alive, X-Hop',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'Trailer', 'X-Sum',
      'Upgrade', 'h2c',
      'Proxy-Connection', 'close',
      'x-hop', '1',
      'X-Request-Id', 'upstream',
      'X-Kept', '1',
    ];
    expect(clientResponseHeaders(raw, 'rid')).toEqual(['X-Kept', '1', 'x-request-id', 'rid']);
  });
  it('never drops Content-Length, even when Connection lists it', () => {
    expect(clientResponseHeaders(['Connection', 'content-length', 'Content-Length', '2'], 'rid')).toEqual(['Content-Length', '2', 'x-request-id', 'rid']);
  });
});
