// The deploy API's body limit where the socket is the subject, so over a real server on
// 127.0.0.1 (the rest of the deploy API is tested in-process with light-my-request, which
// re-parents express's shared request prototype: an injected app and a real express server
// cannot share a spec file). The store fails if it is used at all: a body over the limit
// must be refused before anything reaches it.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { ApiStore, AuditStore, TokenStore } from '@gw/store';
import { closeServer, listenLocal } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';

const server = createServer(
  createControllerHttpApp({
    store: new Proxy({} as ApiStore, { get: () => () => Promise.reject(new Error('an oversized body must not reach the store')) }),
    tokens: new Proxy({} as TokenStore, { get: () => () => Promise.reject(new Error('no token lookups here')) }),
    audit: new Proxy({} as AuditStore, { get: () => () => Promise.reject(new Error('no audit reads here')) }),
    authDisabled: true,
    readiness: () => ({ ready: true, checks: {} }),
  }),
);
let url: string;

beforeAll(async () => {
  url = `http://127.0.0.1:${await listenLocal(server)}`;
});
afterAll(() => closeServer(server));

describe('PUT /v1/apis/:name over a socket', () => {
  it('answers 413 to a streamed body as soon as it passes the limit', async () => {
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"padding":"'));
      },
      pull(controller) {
        // 64 MiB is a hard stop should the server read everything before answering.
        if (sent > 64 * 1024 * 1024) {
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${url}/v1/apis/orders`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 413, code: 'GW_BODY_TOO_LARGE', type: 'urn:gw:problem:gw_body_too_large', requestId: res.headers.get('x-request-id') });
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('closes the connection of a client that keeps sending after the 413', async () => {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    let response = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (response += d));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('PUT /v1/apis/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    const started = Date.now();
    let written = 0;
    let open = true;
    void closed.then(() => (open = false));
    // Keep sending, as a hostile or broken client would, until the server hangs up (or 64 MiB).
    while (open && written < 64 * 1024 * 1024) {
      written += frame.length;
      if (!socket.write(frame)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
    }
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(written).toBeLessThan(32 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('POST /v1/apply over a socket', () => {
  it('reads a body past PUT’s 1 MiB, and answers 413 once a streamed body passes 20 MiB', async () => {
    // 5 MiB: read and checked (the padding is an unknown field; the store is never asked).
    const padded = await fetch(`${url}/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apis: [], padding: 'x'.repeat(5 * 1_048_576) }) });
    expect(padded.status).toBe(400);
    expect(await padded.json()).toMatchObject({ code: 'GW_VALIDATION', errors: [{ path: '/padding', message: 'unknown field' }] });

    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(256 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"apis":[],"padding":"'));
      },
      pull(controller) {
        if (sent > 96 * 1024 * 1024) {
          controller.close();
          return;
        }
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${url}/v1/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'GW_BODY_TOO_LARGE', detail: `The request body is larger than ${20 * 1_048_576} bytes.` });
    expect(sent).toBeGreaterThan(20 * 1024 * 1024);
    expect(sent).toBeLessThan(48 * 1024 * 1024);
  });
});
