import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import * as E from './edge-errors.js';
import { EdgeGuard } from './edge-guard.js';

/** The parts of a parsed request the guard reads, as Node's parser would fill them. */
function req(url: string, rawHeaders: string[] = ['Host', 'a'], version = '1.1'): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    // Node keeps the first Host and joins repeated list headers with ", ".
    if (name === 'host' && headers[name] !== undefined) continue;
    headers[name] = headers[name] === undefined ? rawHeaders[i + 1]! : `${headers[name]}, ${rawHeaders[i + 1]!}`;
  }
  const [major, minor] = version.split('.').map(Number);
  return { url, rawHeaders, headers, httpVersionMajor: major, httpVersionMinor: minor } as unknown as IncomingMessage;
}

const guard = new EdgeGuard({ maxUrlBytes: 100, maxBodyBytes: 1_000 });

describe('EdgeGuard.check', () => {
  it('accepts an ordinary request and leaves its URL alone', () => {
    const r = req('/orders/42?x=1');
    expect(guard.check(r)).toBeUndefined();
    expect(r.url).toBe('/orders/42?x=1');
    expect(guard.check(req('/', ['Host', 'a', 'Content-Length', '1000']))).toBeUndefined();
    expect(guard.check(req('/', ['Host', 'a', 'Transfer-Encoding', 'chunked']))).toBeUndefined();
    expect(guard.check(req('/', ['Host', 'a', 'Transfer-Encoding', 'Chunked']))).toBeUndefined();
    expect(guard.check(req('/', [], '1.0'))).toBeUndefined();
  });

  it('normalizes the path in place and keeps the query byte for byte', () => {
    const r = req('/a/../b/%2e/c?q=/../%2F');
    expect(guard.check(r)).toBeUndefined();
    expect(r.url).toBe('/b/c?q=/../%2F');
  });

  it('refuses other HTTP versions and targets that are not origin-form', () => {
    expect(guard.check(req('/', [], '0.9'))).toBe(E.BAD_HTTP_VERSION);
    expect(guard.check(req('/', ['Host', 'a'], '2.0'))).toBe(E.BAD_HTTP_VERSION);
    expect(guard.check(req('http://evil/x'))).toBe(E.NOT_ORIGIN_FORM);
    expect(guard.check(req('*'))).toBe(E.NOT_ORIGIN_FORM);
    expect(guard.check(req('evil.com:443'))).toBe(E.NOT_ORIGIN_FORM);
  });

  it('refuses a target longer than maxUrlBytes with 414', () => {
    expect(guard.check(req(`/${'x'.repeat(99)}`))).toBeUndefined();
    expect(guard.check(req(`/${'x'.repeat(100)}`))).toBe(E.URI_TOO_LONG);
  });

  it('refuses two Host headers, in any case, and an invalid Host', () => {
    expect(guard.check(req('/', ['Host', 'a', 'Host', 'b']))).toBe(E.DUPLICATE_HOST);
    expect(guard.check(req('/', ['Host', 'a', 'hOST', 'a']))).toBe(E.DUPLICATE_HOST);
    expect(guard.check(req('/', ['Host', 'a, b']))).toBe(E.BAD_HOST);
    expect(guard.check(req('/', ['Host', 'a/b']))).toBe(E.BAD_HOST);
  });

  it('refuses any Transfer-Encoding but a lone chunked, any on HTTP/1.0, and one with Content-Length', () => {
    for (const te of ['identity, chunked', 'gzip, chunked', 'chunked, chunked', 'identity', 'xchunked']) {
      expect(guard.check(req('/', ['Host', 'a', 'Transfer-Encoding', te])), te).toBe(E.BAD_TRANSFER_ENCODING);
    }
    expect(guard.check(req('/', ['Host', 'a', 'Transfer-Encoding', 'identity', 'Transfer-Encoding', 'chunked']))).toBe(E.BAD_TRANSFER_ENCODING);
    expect(guard.check(req('/', ['Host', 'a', 'Transfer-Encoding', 'chunked'], '1.0'))).toBe(E.BAD_TRANSFER_ENCODING);
    expect(guard.check(req('/', ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Content-Length', '3']))).toBe(E.LENGTH_AND_ENCODING);
  });

  it('refuses a Content-Length over maxBodyBytes with 413', () => {
    expect(guard.check(req('/', ['Host', 'a', 'Content-Length', '1001']))).toBe(E.BODY_TOO_LARGE);
  });

  it('refuses path tricks it cannot normalize safely', () => {
    expect(guard.check(req('/../x'))).toBe(E.ABOVE_ROOT);
    expect(guard.check(req('/a%2Fb'))).toBe(E.ENCODED_SEPARATOR);
    expect(guard.check(req('/a\\b'))).toBe(E.BACKSLASH);
    expect(guard.check(req('/a%00'))).toBe(E.ENCODED_SEPARATOR);
  });
});
