import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { prepareUpstreamRequestHeaders } from './upstream-request-headers.js';

function req(headers: IncomingHttpHeaders, peer: string | undefined = '10.0.0.2', encrypted = false): IncomingMessage {
  return { headers: { ...headers }, socket: { remoteAddress: peer, encrypted } } as unknown as IncomingMessage;
}

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('prepareUpstreamRequestHeaders', () => {
  it('with no trusted hops replaces every client-sent forwarding header with this hop', () => {
    const r = req({
      host: 'api.example.com',
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
      forwarded: 'for=6.6.6.6;proto=https',
      'x-real-ip': '6.6.6.6',
    });
    prepareUpstreamRequestHeaders(r, 'rid');
    expect(r.headers).toEqual({
      host: 'api.example.com',
      'x-request-id': 'rid',
      'x-forwarded-for': '10.0.0.2',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com',
    });
  });

  it('says https on a TLS connection and unmaps IPv4-mapped peers', () => {
    const r = req({ host: 'a' }, '::ffff:192.0.2.1', true);
    prepareUpstreamRequestHeaders(r, 'rid');
    expect(r.headers).toMatchObject({ 'x-forwarded-for': '192.0.2.1', 'x-forwarded-proto': 'https' });
  });

  it('with trusted hops keeps the trusted part of the chain and the trusted proxy\'s proto and host', () => {
    const r = req({ host: 'internal:8000', 'x-forwarded-for': '6.6.6.6, 203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example', 'x-real-ip': '203.0.113.7' });
    prepareUpstreamRequestHeaders(r, 'rid', 1);
    expect(r.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.7, 10.0.0.2',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example',
      'x-real-ip': '203.0.113.7',
    });
  });

  it('with trusted hops replaces invalid proto and host values, and ignores a chain that is too short', () => {
    const r = req({ host: 'internal', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'a, b' });
    prepareUpstreamRequestHeaders(r, 'rid', 1);
    expect(r.headers).toMatchObject({ 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'internal' });
    const short = req({ host: 'internal', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', forwarded: 'for=x' });
    prepareUpstreamRequestHeaders(short, 'rid', 2);
    expect(short.headers).toMatchObject({ 'x-forwarded-for': '10.0.0.2', 'x-forwarded-proto': 'http' });
    expect(short.headers.forwarded).toBeUndefined();
  });

  it('passes a valid traceparent and tracestate through unchanged, drops a malformed one with its tracestate', () => {
    const ok = req({ host: 'a', traceparent: TRACEPARENT, tracestate: 'vendor=x,other=y' });
    prepareUpstreamRequestHeaders(ok, 'rid');
    expect(ok.headers).toMatchObject({ traceparent: TRACEPARENT, tracestate: 'vendor=x,other=y' });
    const bad = req({ host: 'a', traceparent: `${TRACEPARENT}, ${TRACEPARENT}`, tracestate: 'vendor=x' });
    prepareUpstreamRequestHeaders(bad, 'rid');
    expect(bad.headers.traceparent).toBeUndefined();
    expect(bad.headers.tracestate).toBeUndefined();
    const orphan = req({ host: 'a', tracestate: 'vendor=x' });
    prepareUpstreamRequestHeaders(orphan, 'rid');
    expect(orphan.headers.tracestate).toBeUndefined();
  });

  it('removes hop-by-hop headers, those Connection lists, and Expect', () => {
    const r = req({ host: 'a', connection: 'close, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', te: 'trailers', upgrade: 'h2c', expect: '100-continue', 'x-kept': '1' });
    prepareUpstreamRequestHeaders(r, 'rid');
    expect(Object.keys(r.headers).sort()).toEqual(['host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-kept', 'x-request-id']);
  });
});
