import { describe, expect, it } from 'vitest';
import { clientResponseHeaders } from './client-response-headers.js';

describe('clientResponseHeaders', () => {
  it('keeps end-to-end headers, one line per repeated value, and appends the request id', () => {
    const parsed = { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'content-length': '2' };
    expect(clientResponseHeaders(parsed, 'rid')).toEqual([
      'content-type', 'text/plain',
      'set-cookie', 'a=1',
      'set-cookie', 'b=2',
      'content-length', '2',
      'x-request-id', 'rid',
    ]);
  });
  it('drops hop-by-hop headers, those listed in Connection, Transfer-Encoding and the upstream request id', () => {
    const parsed = {
      connection: 'keep-alive, X-Hop',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      trailer: 'X-Sum',
      upgrade: 'h2c',
      'proxy-connection': 'close',
      'x-hop': '1',
      'x-request-id': 'upstream',
      'x-kept': '1',
    };
    expect(clientResponseHeaders(parsed, 'rid')).toEqual(['x-kept', '1', 'x-request-id', 'rid']);
  });
  it('reads every Connection line when the upstream sent several', () => {
    // Node types a response's Connection as one string; undici hands over every line.
    expect(clientResponseHeaders({ connection: ['x-a', 'x-b'] as unknown as string, 'x-a': '1', 'x-b': '2', 'x-c': '3' }, 'rid')).toEqual(['x-c', '3', 'x-request-id', 'rid']);
  });
  it('never drops Content-Length, even when Connection lists it', () => {
    expect(clientResponseHeaders({ connection: 'content-length', 'content-length': '2' }, 'rid')).toEqual(['content-length', '2', 'x-request-id', 'rid']);
  });
});
