// The proxy listener as the runtime builds it (edge limits, clientError answers, upgrades,
// drain) over real sockets on 127.0.0.1, with a recording upstream. Every wait is on a
// condition with a bounded timeout.
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { stateWith } from '@gw/runtime-config/testing';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_HIGH_WATER_MARK_BYTES } from './buffering/buffer-settings.js';
import { EdgeGuard, type EdgeSettings } from './edge/edge-guard.js';
import { createProxyHandler } from './proxy-handler.js';
import { createProxyListener, type ListenerSettings, type ProxyListener } from './proxy-listener.js';
import { startWebSocketEchoServer } from './testing/websocket-echo-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});


interface Upstream {
  url: string;
  requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
  /** Requests whose headers arrived, complete or not. */
  started: number;
}

async function startUpstream(respond?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const up: Upstream = { url: '', requests: [], started: 0 };
  const server = createServer((req, res) => {
    up.started++;
    if (respond && req.url?.startsWith('/custom')) return respond(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      up.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
  });
  up.url = `http://127.0.0.1:${await listenLocal(server)}`;
  cleanups.push(() => closeServer(server));
  return up;
}


interface Gateway {
  port: number;
  listener: ProxyListener;
}

async function startGateway(apis: ApiDefinition[], edge: Partial<EdgeSettings> = {}, settings: Partial<ListenerSettings> = {}): Promise<Gateway> {
  const handler = createProxyHandler({ getConfig: stateWith(apis).getConfig, edge: new EdgeGuard(edge) });
  const listener = createProxyListener(handler, settings);
  const port = await listenLocal(listener.server);
  cleanups.push(async () => {
    handler.close();
    await closeServer(listener.server);
  });
  return { port, listener };
}

/** Writes raw bytes, collects everything until the gateway closes (or `timeoutMs`). */
async function raw(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  socket.write(bytes);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await once(socket, 'close');
  clearTimeout(timer);
  return Buffer.concat(chunks).toString('latin1');
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxy listener: client connections', () => {
  it('queue CLIENT_HIGH_WATER_MARK_BYTES (16 KiB) before write() says stop, not Node\'s 64 KiB: what a client that stops reading pins besides a write in flight', async () => {
    const { port, listener } = await startGateway([]);
    const accepted = once(listener.server, 'connection') as Promise<[Socket]>;
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    const [served] = await accepted;
    expect(CLIENT_HIGH_WATER_MARK_BYTES).toBe(16 * 1024);
    expect(served.writableHighWaterMark).toBe(CLIENT_HIGH_WATER_MARK_BYTES);
  });
});

describe('proxy listener: limits and parser errors', () => {
  it('answers 431 with the JSON error when the headers exceed maxHeaderBytes', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])], {}, { maxHeaderBytes: 2_048 });
    const reply = await raw(gw.port, `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(3_000)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(reply).toContain('Connection: close');
    expect(reply).toContain('"code":"GW_HEADERS_TOO_LARGE"');
    expect(up.started).toBe(0);
  });

  it('answers 408 and closes a connection whose headers trickle in (slowloris)', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])], {}, { headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const socket = connect(gw.port, '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.write('GET /x HTTP/1.1\r\nHost: a\r\n');
    const started = Date.now();
    // One more header line now and then, never the blank line that ends them.
    const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 100);
    const giveUp = setTimeout(() => socket.destroy(), 5_000);
    await once(socket, 'close');
    clearInterval(drip);
    clearTimeout(giveUp);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toContain('"code":"GW_REQUEST_TIMEOUT"');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(up.started).toBe(0);
  });

  it('answers 413 to a chunked body over maxBodyBytes and never completes the upstream request', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])], { maxBodyBytes: 1_000 });
    const chunk = (n: number) => `${n.toString(16)}\r\n${'y'.repeat(n)}\r\n`;
    const reply = await raw(gw.port, `POST /big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(600)}${chunk(600)}0\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toContain('"code":"GW_BODY_TOO_LARGE"');
    // A body within the limit still goes through, and the oversized one never completed.
    const ok = await raw(gw.port, `POST /small HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(600)}0\r\n\r\n`);
    expect(ok).toMatch(/^HTTP\/1\.1 200 /);
    expect(up.requests.map((r) => `${r.url} ${r.body.length}`)).toEqual(['/small 600']);
  });

  it('answers 413 to Expect: 100-continue with a Content-Length over the limit, without 100 Continue', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])], { maxBodyBytes: 1_000 });
    const reply = await raw(gw.port, 'PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).not.toContain('100 Continue');
    // Within the limit: 100 Continue first, then the body is forwarded.
    const socket = connect(gw.port, '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.write('PUT /up HTTP/1.1\r\nHost: a\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await waitFor('100 Continue', () => received.includes('\r\n\r\n'));
    expect(received).toMatch(/^HTTP\/1\.1 100 Continue/);
    socket.write('hello');
    await once(socket, 'close');
    expect(received).toMatch(/HTTP\/1\.1 200 /);
    expect(up.requests.map((r) => r.body)).toEqual(['hello']);
  });

  it('refuses CONNECT with 405', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    const reply = await raw(gw.port, `CONNECT ${up.url.slice(7)} HTTP/1.1\r\nHost: ${up.url.slice(7)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 405 /);
    expect(up.started).toBe(0);
  });

  it('serves Upgrade: h2c as a plain request, with Upgrade and the headers Connection lists stripped', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    const reply = await raw(
      gw.port,
      'GET /h2c HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply).not.toMatch(/101 Switching/);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.headers.upgrade).toBeUndefined();
    expect(up.requests[0]!.headers['http2-settings']).toBeUndefined();
  });
});

describe('proxy listener: pipelined requests before bad bytes', () => {
  /** Status lines in the order the client read them, up to the gateway's close. */
  const statuses = (reply: string) => [...reply.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

  it('answers the valid requests first, in order, then the 400, then closes', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    // One write: Node's parser sees the bad bytes while both upstream requests are in flight.
    const reply = await raw(gw.port, 'GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\nBAD\x01 /x HTTP/1.1\r\n\r\n');
    expect(statuses(reply)).toEqual([200, 200, 400]);
    expect(reply.indexOf('"url":"/first"')).toBeLessThan(reply.indexOf('"url":"/second"'));
    expect(reply).toContain('"code":"GW_BAD_REQUEST"');
    expect(up.requests.map((r) => r.url).sort()).toEqual(['/first', '/second']);
  });

  it('answers the valid request, then 431 for an oversized pipelined one', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])], {}, { maxHeaderBytes: 2_048 });
    const reply = await raw(gw.port, `GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /big HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(3_000)}\r\n\r\n`);
    expect(statuses(reply)).toEqual([200, 431]);
    expect(up.requests.map((r) => r.url)).toEqual(['/first']);
  });

  it('a pipelined request whose chunked body breaks gets the 400 as its own response, after the first', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])], {}, {});
    const reply = await raw(gw.port, 'GET /first HTTP/1.1\r\nHost: a\r\n\r\nPOST /broken HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n');
    expect(statuses(reply)).toEqual([200, 400]);
    expect(up.requests.map((r) => r.url)).toEqual(['/first']);
  });

  it('a slow first response is still delivered before the 400', async () => {
    let release: (() => void) | undefined;
    const up = await startUpstream((_req, res) => {
      release = () => res.end('slow done');
    });
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    const socket = connect(gw.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.write('GET /custom/slow HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
    await waitFor('the slow request at the upstream', () => release);
    // The parse error is known; nothing may be written before the first response.
    expect(Buffer.concat(chunks).length).toBe(0);
    release!();
    const timer = setTimeout(() => socket.destroy(), 5_000);
    await once(socket, 'close');
    clearTimeout(timer);
    const reply = Buffer.concat(chunks).toString('latin1');
    expect(statuses(reply)).toEqual([200, 400]);
    expect(reply).toContain('slow done');
  });
});

describe('proxy listener: header names with "_" (nginx underscores_in_headers)', () => {
  const request = (path: string) =>
    `POST ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 5\r\nTransfer_Encoding: chunked\r\nContent_Length: 0\r\nX_Custom: u\r\nX-Custom: d\r\n\r\nhello`;

  it('drops them by default: the upstream gets neither Transfer_Encoding nor Content_Length, and the body as framed by the gateway', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    const reply = await raw(gw.port, request('/default'));
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(up.requests).toHaveLength(1);
    const seen = up.requests[0]!;
    expect(seen.headers['transfer_encoding']).toBeUndefined();
    expect(seen.headers['content_length']).toBeUndefined();
    expect(seen.headers['x_custom']).toBeUndefined();
    expect(seen.headers['x-custom']).toBe('d');
    expect(seen.body).toBe('hello');
  });

  it('keeps them with allowUnderscoresInHeaders (ALLOW_UNDERSCORES_IN_HEADERS=true)', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])], { allowUnderscoresInHeaders: true });
    const reply = await raw(gw.port, request('/opt-in'));
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    const seen = up.requests[0]!;
    expect(seen.headers['transfer_encoding']).toBe('chunked');
    expect(seen.headers['content_length']).toBe('0');
    expect(seen.headers['x_custom']).toBe('u');
    expect(seen.body).toBe('hello');
  });

  it('drops them from WebSocket handshakes too', async () => {
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const gw = await startGateway([plainApi('chat', '/chat', [echo.url])]);
    const socket = connect(gw.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    let reply = '';
    socket.on('data', (c: Buffer) => (reply += c.toString('latin1')));
    socket.write('GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX_Forwarded_For: 10.9.9.9\r\n\r\n');
    await waitFor('the handshake answered', () => reply.includes('\r\n\r\n'));
    expect(reply).toMatch(/^HTTP\/1\.1 101 /);
    expect(echo.handshakes[0]!.headers['x_forwarded_for']).toBeUndefined();
  });
});

describe('proxy listener: Upgrade on HTTP/1.0 (RFC 9110 §7.8)', () => {
  it('ignores Upgrade: websocket on an HTTP/1.0 request: served as a plain request, never 101 nor tunnelled', async () => {
    const up = await startUpstream();
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const gw = await startGateway([plainApi('a', '/plain', [up.url]), plainApi('chat', '/chat', [echo.url])]);
    const handshake = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    const reply = await raw(gw.port, `GET /plain/x HTTP/1.0\r\nHost: a\r\n${handshake}`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply).not.toMatch(/101 Switching/);
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.headers.upgrade).toBeUndefined();
    expect(up.requests[0]!.headers['sec-websocket-key']).toBe('dGhlIHNhbXBsZSBub25jZQ==');
    // Towards a WebSocket upstream: no handshake reaches it as an upgrade either.
    const toEcho = await raw(gw.port, `GET /chat HTTP/1.0\r\nHost: a\r\n${handshake}`);
    expect(toEcho).not.toMatch(/101 Switching/);
    expect(echo.handshakes).toHaveLength(0);
    // The same handshake on HTTP/1.1 is tunnelled (the check is on the version only).
    const socket = connect(gw.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    let upgraded = '';
    socket.on('data', (c: Buffer) => (upgraded += c.toString('latin1')));
    socket.write(`GET /chat HTTP/1.1\r\nHost: a\r\n${handshake}`);
    await waitFor('the HTTP/1.1 handshake answered', () => upgraded.includes('\r\n\r\n'));
    expect(upgraded).toMatch(/^HTTP\/1\.1 101 /);
  });
});

describe('proxy listener: bodiless requests (optimizeEmptyRequests)', () => {
  it('forwards GET, HEAD and DELETE without a body, and bodies of other requests in full', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS']) {
      const reply = await raw(gw.port, `${method} /m HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
      expect(reply, method).toMatch(/^HTTP\/1\.1 200 /);
    }
    const post = await raw(gw.port, 'POST /p HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello');
    expect(post).toMatch(/^HTTP\/1\.1 200 /);
    expect(up.requests.map((r) => `${r.method} ${r.body}`)).toEqual(['GET ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'POST hello']);
  });

  it('closes the upstream request when a bodiless request\'s client leaves before the response headers', async () => {
    let upstreamClosed = false;
    const up = await startUpstream((req, res) => {
      res.on('close', () => (upstreamClosed = true));
      void req;
    });
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    const socket = connect(gw.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /custom/hang HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the request to reach the upstream', () => up.started === 1);
    socket.destroy();
    await waitFor('the upstream request to be closed', () => upstreamClosed);
  });

  it('serves many keep-alive requests on one connection', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    const pipelined = Array.from({ length: 20 }, (_, i) => `GET /k${i} HTTP/1.1\r\nHost: a\r\n\r\n`).join('') + 'GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    const reply = await raw(gw.port, pipelined);
    expect(reply.match(/HTTP\/1\.1 200 /g)).toHaveLength(21);
    expect(up.requests.map((r) => r.url)).toEqual([...Array.from({ length: 20 }, (_, i) => `/k${i}`), '/last']);
  });
});

describe('proxy listener: streaming', () => {
  it('streams server-sent events as they come, through quiet gaps longer than the listener timeouts', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      // The second event comes after a gap longer than headersTimeout and requestTimeout.
      const timer = setTimeout(() => res.end('data: two\n\n'), 900);
      res.on('close', () => clearTimeout(timer));
    });
    const gw = await startGateway([plainApi('a', '/', [up.url])], {}, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/custom/events', agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events: { at: number; text: string }[] = [];
    const started = Date.now();
    res.on('data', (c: Buffer) => events.push({ at: Date.now() - started, text: c.toString() }));
    await once(res, 'end');
    expect(events.map((e) => e.text).join('')).toBe('data: one\n\ndata: two\n\n');
    // The first event was not held back until the end of the stream.
    expect(events[0]!.text).toBe('data: one\n\n');
    expect(events.at(-1)!.at - events[0]!.at).toBeGreaterThanOrEqual(500);
  });
});

describe('proxy listener: WebSockets', () => {
  it('proxies a WebSocket with the same routing, request id and forwarding headers', async () => {
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const gw = await startGateway([plainApi('chat', '/chat', [echo.url])]);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat/room/1?x=1`);
    cleanups.push(() => ws.close());
    await once(ws as unknown as EventTarget, 'open');
    const reply = new Promise<string>((resolve) => ws.addEventListener('message', (e) => resolve(String(e.data)), { once: true }));
    ws.send('hello');
    expect(await reply).toBe('hello');
    const seen = echo.handshakes[0]!;
    expect(seen.url).toBe('/room/1?x=1');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers.host).toBe(echo.url.slice('http://'.length));
    expect(seen.headers.upgrade).toBe('websocket');
    expect(seen.headers.connection).toBe('Upgrade');
  });

  it('sends the API\'s hostRewrite as the upstream Host of a WebSocket handshake', async () => {
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const api = plainApi('chat', '/chat', [echo.url]);
    const gw = await startGateway([{ ...api, upstream: { ...api.upstream, hostRewrite: 'chat.internal' } }]);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat`);
    cleanups.push(() => ws.close());
    await once(ws as unknown as EventTarget, 'open');
    expect(echo.handshakes[0]!.headers.host).toBe('chat.internal');
    expect(echo.handshakes[0]!.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
  });

  it('answers a WebSocket handshake for no route with 404 JSON and a request id, without an upstream connection', async () => {
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const gw = await startGateway([plainApi('chat', '/chat', [echo.url])]);
    const reply = await raw(
      gw.port,
      'GET /nothing HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Request-Id: ws-1\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
    expect(reply).toContain('X-Request-Id: ws-1');
    expect(reply).toContain('"code":"GW_NO_ROUTE"');
    expect(echo.handshakes).toHaveLength(0);
  });

  it('applies the edge checks to WebSocket handshakes too', async () => {
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const gw = await startGateway([plainApi('chat', '/chat', [echo.url])]);
    const reply = await raw(
      gw.port,
      'GET /chat/../../etc HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(echo.handshakes).toHaveLength(0);
  });
});

describe('proxy listener: drain', () => {
  it('adds Connection: close to responses once draining, and closes idle keep-alive connections on shutdown', async () => {
    const up = await startUpstream();
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    // A keep-alive connection that stays idle.
    const idle = connect(gw.port, '127.0.0.1');
    idle.on('error', () => undefined);
    idle.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n');
    await once(idle, 'data');
    const idleClosed = once(idle, 'close');

    gw.listener.startDraining();
    const during = await get(gw.port, '/during');
    expect(during.status).toBe(200);
    expect(during.headers.connection).toBe('close');

    await gw.listener.shutdown({ inFlightGraceMs: 2_000, webSocketGraceMs: 0 });
    await idleClosed;
    expect(gw.listener.server.listening).toBe(false);
  });

  it('lets a request in flight finish after the listener closed', async () => {
    let release: (() => void) | undefined;
    const up = await startUpstream((_req, res) => {
      release = () => res.end('late');
    });
    const gw = await startGateway([plainApi('a', '/', [up.url])]);
    const inFlight = get(gw.port, '/custom/slow');
    await waitFor('the request to reach the upstream', () => release !== undefined);
    const shutdown = gw.listener.shutdown({ inFlightGraceMs: 5_000, webSocketGraceMs: 0 });
    await waitFor('the listener to stop accepting', () => !gw.listener.server.listening);
    release!();
    const reply = await inFlight;
    expect(reply).toMatchObject({ status: 200, body: 'late' });
    await shutdown;
  });

  it('closes WebSockets with a 1001 close frame to both sides after the WebSocket grace', async () => {
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const gw = await startGateway([plainApi('chat', '/chat', [echo.url])]);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat`);
    await once(ws as unknown as EventTarget, 'open');
    const closed = new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code), { once: true }));
    const started = Date.now();
    await gw.listener.shutdown({ inFlightGraceMs: 5_000, webSocketGraceMs: 300 });
    expect(await closed).toBe(1001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await waitFor('the upstream to see the close frame', () => echo.closeCodes.length === 1);
    expect(echo.closeCodes).toEqual([1001]);
  });
});
