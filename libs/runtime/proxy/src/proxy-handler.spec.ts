// The forwarding path over real sockets on 127.0.0.1: a recording upstream, the proxy
// handler behind a plain http.Server, and clients speaking through http.request or raw
// TCP. Every wait is on a condition with a bounded timeout.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@gw/logging';
import type { ApiDefinition } from '@gw/api-schema';
import type { RuntimeConfig } from '@gw/runtime-config';
import { stateWith } from '@gw/runtime-config/testing';
import { plainApi } from '@gw/api-schema/testing';
import { recordingLogger, type LogRecord } from '@gw/logging/testing';
import { closeServer, freePort, listenLocal, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createProxyHandler } from './proxy-handler.js';
import { DEFAULT_BUFFER_SETTINGS } from './buffering/buffer-settings.js';
import type { RequestObserver } from './request-observer.js';

// ---------------------------------------------------------------------------------------
// Support

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  // Last started, first closed: gateways before the upstreams they point at.
  while (cleanups.length > 0) await cleanups.pop()!();
});

const listen = listenLocal;



/** Settles with `promise`, or rejects after `timeoutMs` naming what it waited for. */
async function within<T>(what: string, promise: Promise<T>, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Upstream {
  name: string;
  port: number;
  url: string;
  requests: Recorded[];
  /** TCP connections accepted so far. */
  connections: number;
  /** TCP connections open now. */
  open: number;
}

type Responder = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** Answers `{ upstream, method, url }`, unless the test gives its own responder. */
async function startUpstream(name: string, respond?: Responder): Promise<Upstream> {
  const up: Upstream = { name, port: 0, url: '', requests: [], connections: 0, open: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      up.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (respond) return respond(req, res, body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url }));
    });
  });
  server.on('connection', (socket: Socket) => {
    up.connections++;
    up.open++;
    socket.on('close', () => up.open--);
  });
  up.port = await listen(server);
  up.url = `http://127.0.0.1:${up.port}`;
  cleanups.push(() => closeServer(server));
  return up;
}


interface Gateway {
  port: number;
  logs: LogRecord[];
  close(): void;
  /** Writes the aggregated failure lines now. */
  flush(): void;
}

async function startGateway(config: RuntimeConfig | undefined, requests?: RequestObserver): Promise<Gateway> {
  const logs: LogRecord[] = [];
  const handler = createProxyHandler({ getConfig: () => config, logger: recordingLogger(logs), requests });
  const server = createServer((req, res) => handler.handle(req, res));
  const port = await listen(server);
  cleanups.push(async () => {
    await closeServer(server);
    handler.close();
  });
  return { port, logs, close: () => handler.close(), flush: () => handler.flushLogs() };
}

function apiFor(name: string, basePath: string, targets: string[], extra: Partial<ApiDefinition> = {}, weights?: number[]): ApiDefinition {
  return plainApi(name, basePath, targets.map((url, i) => ({ url, weight: weights?.[i] ?? 1 })), extra);
}

/** The config of these APIs, built as the runtime builds it. */
function tableOf(...apis: ApiDefinition[]): RuntimeConfig {
  return stateWith(apis).getConfig()!;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on its own client connection (no client-side pooling to reason about). */
async function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Reply> {
  const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() };
}

/** Writes raw bytes and collects everything the gateway sends until it closes. */
async function sendRaw(port: number, bytes: string, timeoutMs = 5_000): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(bytes);
  const timer = setTimeout(() => socket.destroy(new Error('raw exchange timed out')), timeoutMs);
  try {
    await once(socket, 'end');
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
  return Buffer.concat(chunks).toString('latin1');
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');


// ---------------------------------------------------------------------------------------
// Tests

describe('proxy handler: forwarding', () => {
  it('forwards GET /orders/42?x=1 as GET /42?x=1 with the target as Host and this hop as X-Forwarded-*', async () => {
    const up = await startUpstream('A', (req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ url: req.url }));
    });
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const reply = await send(gw.port, '/orders/42?x=1', {
      headers: { host: 'api.example.com:8080', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'spoofed' },
    });
    expect(reply.status).toBe(201);
    expect(reply.headers['x-upstream']).toBe('yes');
    expect(JSON.parse(reply.body)).toEqual({ url: '/42?x=1' });
    expect(up.requests).toHaveLength(1);
    const seen = up.requests[0]!;
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/42?x=1');
    expect(seen.headers.host).toBe(`127.0.0.1:${up.port}`);
    expect(seen.headers['x-forwarded-host']).toBe('api.example.com:8080');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
  });

  it('keeps the base path when stripBasePath is false', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url], { stripBasePath: false })));
    expect(JSON.parse((await send(gw.port, '/orders/42?x=1')).body).url).toBe('/orders/42?x=1');
    expect(JSON.parse((await send(gw.port, '/orders')).body).url).toBe('/orders');
  });

  it("prepends the target URL's path", async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [`${up.url}/api/v1/`])));
    expect(JSON.parse((await send(gw.port, '/orders/42?x=1')).body).url).toBe('/api/v1/42?x=1');
    expect(JSON.parse((await send(gw.port, '/orders')).body).url).toBe('/api/v1/');
  });

  it('streams a POST body above REQUEST_BUFFER_BYTES intact, with and without Content-Length (and one at the threshold, buffered)', async () => {
    const up = await startUpstream('A', (_req, res, body) => res.end(JSON.stringify({ length: body.length, sha: sha256(body) })));
    const gw = await startGateway(tableOf(apiFor('files', '/files', [up.url])));
    // Twice the default threshold: a body up to it is read whole first, and this test is about streaming.
    const body = Buffer.alloc(2 * DEFAULT_BUFFER_SETTINGS.requestBytes);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 10)) & 0xff;
    const sized = await send(gw.port, '/files/upload', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(sized.status).toBe(200);
    expect(JSON.parse(sized.body)).toEqual({ length: body.length, sha: sha256(body) });
    expect(up.requests[0]!.headers['content-length']).toBe(String(body.length));

    // Chunked upload: the body arrives in pieces and keeps its framing upstream.
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/files/upload', method: 'POST', agent: false });
    for (let off = 0; off < body.length; off += 64 * 1024) req.write(body.subarray(off, off + 64 * 1024));
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    for await (const chunk of res) text += String(chunk);
    expect(JSON.parse(text)).toEqual({ length: body.length, sha: sha256(body) });
    expect(up.requests[1]!.headers['transfer-encoding']).toBe('chunked');

    // At the threshold the body is read whole before a target is picked: still byte for byte.
    const small = body.subarray(0, DEFAULT_BUFFER_SETTINGS.requestBytes);
    const buffered = await send(gw.port, '/files/upload', { method: 'POST', body: small, headers: { 'content-type': 'application/octet-stream' } });
    expect(JSON.parse(buffered.body)).toEqual({ length: small.length, sha: sha256(small) });
    expect(up.requests[2]!.headers['content-length']).toBe(String(small.length));
  });

  it('forwards a body sent after 100 Continue, without passing Expect upstream', async () => {
    const up = await startUpstream('A', (_req, res, body) => res.end(body));
    const gw = await startGateway(tableOf(apiFor('files', '/files', [up.url])));
    const req = request({
      host: '127.0.0.1',
      port: gw.port,
      path: '/files/x',
      method: 'PUT',
      agent: false,
      headers: { expect: '100-continue', 'content-length': '5' },
    });
    req.on('continue', () => req.end('hello'));
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    for await (const chunk of res) text += String(chunk);
    expect(res.statusCode).toBe(200);
    expect(text).toBe('hello');
    expect(up.requests[0]!.headers.expect).toBeUndefined();
  });

  it('keeps a chunked DELETE body framed (no request smuggled onto the pooled connection)', async () => {
    const up = await startUpstream('A', (_req, res, body) => res.end(`got ${body.length}`));
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const inner = 'GET /orders/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const raw = await sendRaw(
      gw.port,
      'DELETE /orders/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n' +
        `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    // A follow-up request on the same pooled upstream connection must be the only other one.
    await send(gw.port, '/orders/2');
    expect(up.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /1', 'GET /2']);
    expect(up.requests[0]!.body.toString()).toBe(inner);
  });

  it('passes a leading // through as a path on the configured upstream, never as an authority', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('root', '/', [up.url]), apiFor('orders', '/orders', [up.url])));
    const a = await send(gw.port, '//evil/x?y=1');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ upstream: 'A', method: 'GET', url: '//evil/x?y=1' });
    const b = await send(gw.port, '/orders//evil/x');
    expect(JSON.parse(b.body).url).toBe('//evil/x');
    expect(up.requests.map((r) => r.headers.host)).toEqual([`127.0.0.1:${up.port}`, `127.0.0.1:${up.port}`]);
  });

  it('spreads traffic over weighted targets (3:1)', async () => {
    const a = await startUpstream('A');
    const b = await startUpstream('B');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [a.url, b.url], {}, [3, 1])));
    for (let i = 0; i < 8; i++) expect((await send(gw.port, `/orders/${i}`)).status).toBe(200);
    expect([a.requests.length, b.requests.length]).toEqual([6, 2]);
  });
});

describe('proxy handler: request id', () => {
  it('keeps a valid incoming X-Request-Id, sends it upstream and echoes it', async () => {
    const up = await startUpstream('A', (_req, res) => {
      // The upstream's own id must not replace the gateway's.
      res.setHeader('x-request-id', 'upstream-made-this');
      res.end('ok');
    });
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const reply = await send(gw.port, '/orders/1', { headers: { 'x-request-id': 'req-abc.1:2_3' } });
    expect(reply.headers['x-request-id']).toBe('req-abc.1:2_3');
    expect(up.requests[0]!.headers['x-request-id']).toBe('req-abc.1:2_3');
  });

  it('generates a UUID when the incoming id is missing or not a plain token', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const missing = await send(gw.port, '/orders/1');
    const spaced = await send(gw.port, '/orders/2', { headers: { 'x-request-id': 'has space' } });
    const long = await send(gw.port, '/orders/3', { headers: { 'x-request-id': 'x'.repeat(129) } });
    const ids = [missing, spaced, long].map((r) => r.headers['x-request-id'] as string);
    for (const id of ids) expect(id).toMatch(uuid);
    expect(new Set(ids).size).toBe(3);
    expect(up.requests.map((r) => r.headers['x-request-id'])).toEqual(ids);
  });
});

describe('proxy handler: errors', () => {
  function expectJsonError(reply: Reply, status: number, code: string): void {
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toBe('application/json');
    const body = JSON.parse(reply.body);
    expect(body).toEqual({ code, message: expect.any(String), requestId: reply.headers['x-request-id'] });
    expect(body.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  }

  it('answers 404 GW_NO_ROUTE with the request id when no API matches', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const reply = await send(gw.port, '/ordersx/1', { headers: { 'x-request-id': 'nr-1' } });
    expectJsonError(reply, 404, 'GW_NO_ROUTE');
    expect(reply.headers['x-request-id']).toBe('nr-1');
    expect(up.requests).toHaveLength(0);
  });

  it('answers 503 GW_NOT_READY while there is no table', async () => {
    const gw = await startGateway(undefined);
    expectJsonError(await send(gw.port, '/orders/1'), 503, 'GW_NOT_READY');
  });

  it('answers 400 GW_BAD_REQUEST to an absolute-form target and sends nothing upstream', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('root', '/', [up.url])));
    const raw = await sendRaw(gw.port, `GET http://evil/x HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\nConnection: close\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw.toLowerCase()).toContain('content-type: application/json');
    expect(raw).toContain('"code":"GW_BAD_REQUEST"');
    expect(up.requests).toHaveLength(0);
    expect(up.connections).toBe(0);
  });

  it('answers 502 GW_UPSTREAM_UNREACHABLE when the target refuses the connection', async () => {
    const port = await freePort();
    const gw = await startGateway(tableOf(apiFor('down', '/down', [`http://127.0.0.1:${port}`])));
    expectJsonError(await send(gw.port, '/down/x'), 502, 'GW_UPSTREAM_UNREACHABLE');
    gw.flush();
    expect(gw.logs.map((l) => l.fields['lastCode'])).toEqual(['ECONNREFUSED']);
  });

  it('logs failures towards a target aggregated: one line per target and reason, with a count, no stack', async () => {
    const port = await freePort();
    const gw = await startGateway(tableOf(apiFor('down', '/down', [`http://127.0.0.1:${port}`])));
    for (let i = 0; i < 20; i++) expectJsonError(await send(gw.port, `/down/${i}`), 502, 'GW_UPSTREAM_UNREACHABLE');
    expect(gw.logs).toEqual([]);
    gw.flush();
    expect(gw.logs).toHaveLength(1);
    expect(gw.logs[0]).toMatchObject({
      level: 'warn',
      msg: 'upstream failures: GW_UPSTREAM_UNREACHABLE',
      fields: { api: 'down', target: `http://127.0.0.1:${port}`, reason: 'GW_UPSTREAM_UNREACHABLE', count: 20, lastCode: 'ECONNREFUSED', sampleRequestId: expect.any(String) },
    });
    expect(JSON.stringify(gw.logs[0])).not.toContain('    at ');
  });

  it('answers 502 GW_UPSTREAM_UNREACHABLE when the connection is not accepted within connectTimeoutMs', async () => {
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect
    // hangs. The listening thread is parked (Atomics.wait) so it never accepts.
    const park = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const server = require('node:net').createServer();
       server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         parentPort.postMessage(server.address().port);
         Atomics.wait(workerData.park, 0, 0);
       });`,
      { eval: true, workerData: { park } },
    );
    const fillers: Socket[] = [];
    cleanups.push(async () => {
      for (const s of fillers) s.destroy();
      Atomics.store(park, 0, 1);
      Atomics.notify(park, 0);
      await worker.terminate();
    });
    const [port] = (await once(worker, 'message')) as [number];
    // backlog 1 admits two completed handshakes; those fill the queue.
    for (let i = 0; i < 2; i++) {
      const s = connect(port, '127.0.0.1');
      fillers.push(s);
      await once(s, 'connect');
    }
    const api = apiFor('blackhole', '/bh', [`http://127.0.0.1:${port}`]);
    api.upstream.timeouts.connectMs = 200;
    api.upstream.timeouts.requestMs = 10_000;
    const gw = await startGateway(tableOf(api));
    expectJsonError(await send(gw.port, '/bh/x'), 502, 'GW_UPSTREAM_UNREACHABLE');
    gw.flush();
    expect(gw.logs.map((l) => l.fields['lastCode'])).toEqual(['UND_ERR_CONNECT_TIMEOUT']);
  });

  it('answers 504 GW_UPSTREAM_TIMEOUT when no response headers come within requestTimeoutMs, and drops that upstream connection', async () => {
    const up = await startUpstream('A', () => undefined);
    const api = apiFor('slow', '/slow', [up.url]);
    api.upstream.timeouts.requestMs = 300;
    const gw = await startGateway(tableOf(api));
    expectJsonError(await send(gw.port, '/slow/x'), 504, 'GW_UPSTREAM_TIMEOUT');
    expect(up.requests).toHaveLength(1);
    await waitFor('the timed-out upstream connection to close', () => up.open === 0);
  });

  it('cuts the client connection when the upstream breaks off mid-body', async () => {
    const up = await startUpstream('A', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      // Give the first bytes time to reach the gateway, then die.
      setImmediate(() => res.socket?.destroy());
    });
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/orders/1', agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.statusCode).toBe(200);
    const outcome = await within(
      'the client response to end or break',
      new Promise<string>((resolve) => {
        res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        res.on('end', () => resolve('complete'));
        res.resume();
      }),
    );
    expect(outcome).toBe('ECONNRESET');
  });
});

describe('proxy handler: connections and headers', () => {
  it('removes hop-by-hop request headers, including those named in Connection', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    // Raw bytes: Node's client would refuse to send this combination itself.
    const raw = await sendRaw(
      gw.port,
      [
        'POST /orders/1 HTTP/1.1',
        'Host: x',
        'Content-Length: 3',
        'Connection: close, X-Hop-Secret, Upgrade, Content-Length',
        'Keep-Alive: timeout=99',
        'Proxy-Connection: keep-alive',
        'TE: trailers',
        'Trailer: X-Checksum',
        'Upgrade: h2c',
        'X-Hop-Secret: do-not-forward',
        'X-End-To-End: forward-me',
        '',
        'abc',
      ].join('\r\n'),
    );
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    const h = up.requests[0]!.headers;
    for (const name of ['keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-hop-secret']) expect(h[name], name).toBeUndefined();
    // The pooled upstream connection's own Connection header, not the client's.
    expect(h.connection).toBe('keep-alive');
    expect(h['x-end-to-end']).toBe('forward-me');
    // Listing a framing header in Connection must not unframe the body.
    expect(h['content-length']).toBe('3');
    expect(up.requests[0]!.body.toString()).toBe('abc');
  });

  it('removes hop-by-hop response headers, including those named in Connection', async () => {
    const up = await startUpstream('A', (_req, res) => {
      res.setHeader('connection', 'X-Up-Hop');
      res.setHeader('keep-alive', 'timeout=99');
      res.setHeader('x-up-hop', '1');
      res.setHeader('x-kept', '1');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end('ok');
    });
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const reply = await send(gw.port, '/orders/1', { headers: { connection: 'close' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('ok');
    expect(reply.headers['x-up-hop']).toBeUndefined();
    expect(reply.headers['keep-alive']).toBeUndefined();
    expect(reply.headers.connection).toBe('close');
    expect(reply.headers['x-kept']).toBe('1');
    expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('reuses one upstream connection for sequential requests from different client connections', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    expect((await send(gw.port, '/orders/1')).status).toBe(200);
    expect((await send(gw.port, '/orders/2')).status).toBe(200);
    expect(up.requests).toHaveLength(2);
    expect(up.connections).toBe(1);
  });

  it('closes the upstream connection when the client aborts mid-response, and keeps serving', async () => {
    const up = await startUpstream('A', (req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first chunk');
        return; // never ends
      }
      res.end('ok');
    });
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/orders/stream', agent: false });
    req.on('error', () => undefined);
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.on('error', () => undefined);
    await once(res, 'data');
    expect(up.open).toBe(1);
    req.destroy();
    await waitFor('the upstream connection to close', () => up.open === 0);
    expect((await send(gw.port, '/orders/after')).body).toBe('ok');
  });

  it('closes the upstream connection when the client leaves before the response headers', async () => {
    const up = await startUpstream('A', () => undefined);
    const gw = await startGateway(tableOf(apiFor('slow', '/slow', [up.url])));
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/slow/1', agent: false });
    req.on('error', () => undefined);
    req.end();
    await waitFor('the request to reach the upstream', () => up.requests.length === 1);
    req.destroy();
    await waitFor('the upstream connection to close', () => up.open === 0);
    expect(gw.logs).toEqual([]);
  });

  it('closes the upstream connection when the client aborts mid-upload', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('files', '/files', [up.url])));
    // Above REQUEST_BUFFER_BYTES (derived from the default, so it stays above it): streamed, not buffered first.
    const size = DEFAULT_BUFFER_SETTINGS.requestBytes * 4;
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/files/big', method: 'POST', agent: false, headers: { 'content-length': String(size) } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(64 * 1024));
    await waitFor('the upload to reach the upstream', () => up.open === 1);
    req.destroy();
    await waitFor('the upstream connection to close', () => up.open === 0);
    expect(up.requests).toHaveLength(0);
    expect((await send(gw.port, '/files/after')).status).toBe(200);
  });

  it('destroys pooled upstream connections on close() and answers 503 afterwards', async () => {
    const up = await startUpstream('A');
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])));
    expect((await send(gw.port, '/orders/1')).status).toBe(200);
    expect(up.open).toBe(1);
    gw.close();
    await waitFor('the pooled upstream connection to close', () => up.open === 0);
    expect((await send(gw.port, '/orders/1')).status).toBe(503);
  });
});

describe('proxy handler: upstream responses', () => {
  it('streams a large response to a slow client without buffering it: the upstream is held back until the client reads', async () => {
    // Above RESPONSE_DISK_BYTES (derived from the default, so it stays above it): not spilled to a temporary file either.
    const total = DEFAULT_BUFFER_SETTINGS.responseDiskBytes + 16 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let written = 0;
    const up = await startUpstream('A', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const gw = await startGateway(tableOf(apiFor('files', '/files', [up.url])));
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/files/big', agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.pause();
    // The client reads nothing: the upstream must stall once the buffers between are full.
    let last = -1;
    let stableSince = performance.now();
    await waitFor('the upstream to stall', () => {
      if (written !== last) {
        last = written;
        stableSince = performance.now();
      }
      return written > 0 && performance.now() - stableSince > 300;
    }, { timeoutMs: 15_000 });
    // Socket buffers on the way hold several MiB; the gateway itself holds about one chunk.
    expect(written).toBeLessThan(total / 2);
    let received = 0;
    res.on('data', (c: Buffer) => (received += c.length));
    res.resume();
    await within('the whole body', once(res, 'end'), 30_000);
    expect(received).toBe(total);
    expect(written).toBe(total);
  });

  it('relays the final response after 1xx informational ones (103 Early Hints is not passed on)', async () => {
    const up = await startUpstream('A', (_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-final': 'yes' });
      res.end('final');
    });
    const gw = await startGateway(tableOf(apiFor('hints', '/hints', [up.url])));
    const r = await send(gw.port, '/hints/x');
    expect(r.status).toBe(200);
    expect(r.headers['x-final']).toBe('yes');
    expect(r.body).toBe('final');
  });

  it('forwards HEAD: the status and headers, never a body', async () => {
    const up = await startUpstream('A', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' });
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
    });
    const gw = await startGateway(tableOf(apiFor('h', '/h', [up.url])));
    const raw = await sendRaw(gw.port, 'HEAD /h/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(raw.toLowerCase()).toContain('content-length: 11');
    expect(raw.endsWith('\r\n\r\n')).toBe(true);
    expect(up.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('keeps the connection of a retried 5xx: its body is drained back into the pool', async () => {
    let n = 0;
    const up = await startUpstream('A', (_req, res) => {
      n++;
      if (n === 1) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('busy, try again');
      res.end('ok');
    });
    const api = apiFor('r', '/r', [up.url]);
    api.upstream.retries = { ...api.upstream.retries, attempts: 1, on: ['503'], backoffBaseMs: 1, backoffMaxMs: 1 };
    const gw = await startGateway(tableOf(api));
    const r = await send(gw.port, '/r/x');
    expect(r).toMatchObject({ status: 200, body: 'ok' });
    expect(up.requests).toHaveLength(2);
    expect(up.connections).toBe(1);
    expect(up.open).toBe(1);
  });

  it('tells the request observer of every answered request: forwarded, no route, refused at the edge, and one the client left', async () => {
    const seen: { api: string; status: number; seconds: number }[] = [];
    const up = await startUpstream('A', (req, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(201).end('created');
    });
    const gw = await startGateway(tableOf(apiFor('orders', '/orders', [up.url])), { requestEnded: (api, status, seconds) => void seen.push({ api, status, seconds }) });
    expect((await send(gw.port, '/orders/1')).status).toBe(201);
    expect((await send(gw.port, '/nowhere')).status).toBe(404);
    expect((await send(gw.port, '/orders/%2e%2e/%2e%2e/x')).status).toBe(400);
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/orders/hang', agent: false });
    req.on('error', () => undefined);
    req.end();
    await waitFor('the request to reach the upstream', () => up.requests.some((r) => r.url === '/hang'));
    req.destroy();
    await waitFor('four requests to be reported', () => seen.length === 4);
    expect(seen.map(({ api, status }) => ({ api, status }))).toEqual([
      { api: 'orders', status: 201 },
      { api: '', status: 404 },
      { api: '', status: 400 },
      // The client left before any answer: what its response stood at (Node's default 200, nothing sent).
      { api: 'orders', status: 200 },
    ]);
    for (const s of seen) expect(s.seconds).toBeGreaterThanOrEqual(0);
  });
});

describe('proxy handler: TLS upstreams', () => {
  it('verifies the upstream certificate: an untrusted one is a 502, a trusted one is served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=upstream.test', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = readFileSync(certFile, 'utf8');
    const server = createHttpsServer({ key: readFileSync(keyFile), cert }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ host: req.headers.host, url: req.url }));
    });
    const port = await listen(server as unknown as Server);
    cleanups.push(() => closeServer(server as unknown as Server));

    const gw = await startGateway(tableOf(apiFor('secure', '/secure', [`https://127.0.0.1:${port}`])));
    const refused = await send(gw.port, '/secure/x');
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'GW_UPSTREAM_UNREACHABLE' });
    gw.flush();
    expect(gw.logs[0]?.fields['lastCode']).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');

    // Trusted (as NODE_EXTRA_CA_CERTS would make it in a runtime process): served over TLS.
    const defaults = getCACertificates('default');
    setDefaultCACertificates([...defaults, cert]);
    cleanups.push(() => setDefaultCACertificates(defaults));
    const served = await send(gw.port, '/secure/x?y=1');
    expect(served.status).toBe(200);
    expect(JSON.parse(served.body)).toEqual({ host: `127.0.0.1:${port}`, url: '/x?y=1' });
  });
});
