// Slow and early-answered clients over real sockets on 127.0.0.1 (issue: slow clients and
// overload): one response per request, the body and send timeouts, and what a cut
// client gives back. Every wait is on a condition with a bounded timeout.
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { ApiDefinition } from '@gw/api-schema';
import { plainApi, plainUpstream, policiesOf } from '@gw/api-schema/testing';
import { recordingLogger, type LogRecord } from '@gw/logging/testing';
import { stateWith } from '@gw/runtime-config/testing';
import { closeServer, listenLocal, tempDirs, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferBudget } from './buffering/buffer-budget.js';
import { CONNECTION_MEMORY_BYTES, REQUEST_RESERVE_SHARE, RESPONSE_BUFFER_SHARE, SHED_MIN_LAG_MS, SHED_RESPONSE_SHARE, type BufferSettings } from './buffering/buffer-settings.js';
import { EdgeGuard, type EdgeSettings } from './edge/edge-guard.js';
import { UPSTREAM_READ_AHEAD_BYTES } from './forwarding/response-relay.js';
import { SPILL_MEMORY_BYTES, SPILL_WRITE_QUEUE_BYTES } from './buffering/response-spill.js';
import { createProxyHandler } from './proxy-handler.js';
import { createProxyListener, type ListenerSettings } from './proxy-listener.js';
import { startWebSocketEchoServer } from './testing/websocket-echo-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
const budgets: BufferBudget[] = [];
const diskBudgets: BufferBudget[] = [];
const dirs = tempDirs('gw-spill-spec-');
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  dirs.removeAll();
});

async function startUpstream(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; open: () => number }> {
  const server = createServer(respond);
  server.keepAliveTimeout = 100;
  const port = await listenLocal(server);
  let open = 0;
  server.on('connection', (s: Socket) => {
    open++;
    s.on('close', () => open--);
  });
  cleanups.push(() => {
    server.closeAllConnections();
    return closeServer(server);
  });
  return { url: `http://127.0.0.1:${port}`, open: () => open };
}

/**
 * A gateway with `buffers` over the defaults, except that open connections are charged
 * nothing unless `buffers.connectionBytes` says so: most specs here count reservations and
 * lagging charges at budgets of a few KiB, which one connection's CONNECTION_MEMORY_BYTES
 * would fill; the connection charge has its own specs (*open connections are charged*).
 */
async function startGateway(apis: ApiDefinition[], edge: Partial<EdgeSettings> = {}, settings: Partial<ListenerSettings> = {}, buffers: Partial<BufferSettings> = {}): Promise<number> {
  return (await startGatewayLogging(apis, edge, buffers, [], settings)).port;
}

/** `startGateway` whose handler logs into `logs`, with the handler (its budgets). */
async function startGatewayLogging(
  apis: ApiDefinition[],
  edge: Partial<EdgeSettings>,
  buffers: Partial<BufferSettings>,
  logs: LogRecord[],
  settings: Partial<ListenerSettings> = {},
): Promise<{ port: number; handler: ReturnType<typeof createProxyHandler> }> {
  const handler = createProxyHandler({ getConfig: stateWith(apis).getConfig, edge: new EdgeGuard(edge), buffers: { connectionBytes: 0, ...buffers }, logger: recordingLogger(logs) });
  budgets.push(handler.budget);
  diskBudgets.push(handler.diskBudget);
  const listener = createProxyListener(handler, settings);
  const port = await listenLocal(listener.server);
  cleanups.push(async () => {
    listener.server.closeAllConnections();
    handler.close();
    await closeServer(listener.server);
  });
  return { port, handler };
}

async function bigUpstream(body: Buffer): Promise<{ url: string; finished: () => number; hits: () => number; open: () => number }> {
  let finished = 0;
  let hits = 0;
  const up = await startUpstream((req, res) => {
    hits++;
    if (req.url?.endsWith('/small')) return void res.end('ok');
    res.on('finish', () => finished++);
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  return { url: up.url, finished: () => finished, hits: () => hits, open: up.open };
}

/** The body of a one-response socket: what follows the head. */
function bodyOf(c: Client): Buffer {
  const raw = Buffer.from(c.text(), 'latin1');
  return raw.subarray(raw.indexOf('\r\n\r\n') + 4);
}

interface Client {
  socket: Socket;
  text(): string;
  /** Resolves when the gateway ended or reset the connection. */
  closed: Promise<void>;
  /** How many response status lines arrived. */
  responses(): number;
}

function client(port: number, first: string): Client {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  socket.write(first);
  const text = () => Buffer.concat(chunks).toString('latin1');
  // Not events.once: a reset (an 'error') is a close too.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  cleanups.push(() => void socket.destroy());
  return { socket, text, closed, responses: () => (text().match(/HTTP\/1\.1 \d{3} /g) ?? []).length };
}

/** Writes one byte every `gapMs` until the socket closes or `max` bytes went out. */
function trickle(c: Client, gapMs: number, max: number): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (c.socket.destroyed || !c.socket.writable || sent >= max) {
        clearInterval(timer);
        resolve();
        return;
      }
      sent++;
      c.socket.write('x');
    }, gapMs);
    c.socket.once('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
}

describe('one response per request', () => {
  it('a trickling POST that gets 504 is answered once, then its connection closes (no 408 later)', async () => {
    // The upstream reads the body but never answers: the per-try timeout answers 504.
    const up = await startUpstream((req) => req.resume());
    const api = plainApi('slow', '/slow', [up.url], { upstream: plainUpstream([up.url], { timeouts: { connectMs: 1_000, requestMs: 300, totalMs: 300, streamIdleMs: 300_000 } }) });
    // REQUEST_TIMEOUT_MS well inside the trickle: before the fix it wrote a second response (408).
    // Request buffering off: the body streams to the upstream, which never answers.
    const port = await startGateway([api], { clientBodyTimeoutMs: 0 }, { headersTimeoutMs: 200, requestTimeoutMs: 800 }, { requestBytes: 0 });
    const c = client(port, 'POST /slow/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nab');
    const sending = trickle(c, 50, 900);
    await waitFor('the 504', () => c.responses() >= 1, { timeoutMs: 5_000 });
    await c.closed;
    await sending;
    const text = c.text();
    expect(text).toMatch(/^HTTP\/1\.1 504 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(c.responses(), text).toBe(1);
  });

  it('a refusal while the body arrives closes the connection after a bounded linger', async () => {
    const up = await startUpstream((_req, res) => res.end('ok'));
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientBodyTimeoutMs: 0 });
    // No API matches: 404 at once, with most of the body still to come.
    const c = client(port, 'POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nab');
    const started = performance.now();
    void trickle(c, 50, 100_000);
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 404 /);
    expect(c.responses()).toBe(1);
    // LINGER_MS (2 s) bounds it, with slack for a loaded machine.
    expect(performance.now() - started).toBeLessThan(4_500);
  });

  it('keep-alive is untouched for requests whose body was complete', async () => {
    const up = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const port = await startGateway([plainApi('a', '/a', [up.url])]);
    const c = client(port, 'POST /a/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab');
    await waitFor('the first answer', () => c.text().endsWith('ok'), { timeoutMs: 5_000 });
    c.socket.write('GET /a/y HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the second answer', () => c.responses() === 2 && c.text().endsWith('ok'), { timeoutMs: 5_000 });
    expect(c.socket.destroyed).toBe(false);
  });
});

/**
 * A client that sends `head`, then `total` bytes as fast as the gateway takes them
 * (backpressure respected), then half-closes and reads to the end: what it read, whether
 * its socket failed (a reset, EPIPE) and how much of the body it could send.
 */
async function sendLargeBody(port: number, head: string, total: number): Promise<{ reply: string; error: string | undefined; written: number }> {
  // Half-open, as curl and browsers are: the gateway's FIN does not stop the upload.
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  cleanups.push(() => void socket.destroy());
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const giveUp = setTimeout(() => socket.destroy(), 10_000);
  socket.write(head);
  const chunk = Buffer.alloc(64 * 1024, 'b');
  let written = 0;
  while (written < total && !socket.destroyed && socket.writable) {
    written += chunk.length;
    if (!socket.write(chunk)) await new Promise<void>((resolve) => {
      socket.once('drain', resolve);
      socket.once('close', resolve);
    });
  }
  if (!socket.destroyed) socket.end();
  await closed;
  clearTimeout(giveUp);
  return { reply: Buffer.concat(chunks).toString('latin1'), error, written };
}

describe('early answers reach clients still sending (bounded lingering close)', () => {
  const BODY = 4 * 1024 * 1024;

  it('a Content-Length over MAX_BODY_BYTES: the client sends its whole body, reads the 413, and sees no reset', async () => {
    const up = await startUpstream((_req, res) => res.end('ok'));
    const port = await startGateway([plainApi('a', '/a', [up.url])], { maxBodyBytes: 1_000, clientBodyTimeoutMs: 0 });
    const r = await sendLargeBody(port, `POST /a/up HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: ${BODY}\r\n\r\n`, BODY);
    expect(r.reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.reply).toContain('"code":"GW_BODY_TOO_LARGE"');
    expect(r.error).toBeUndefined();
    expect(r.written).toBeGreaterThanOrEqual(BODY);
  });

  it('a chunked body that grows past MAX_BODY_BYTES: the same', async () => {
    const up = await startUpstream((req, res) => req.resume().on('end', () => res.end('ok')));
    const port = await startGateway([plainApi('a', '/a', [up.url])], { maxBodyBytes: 1_000, clientBodyTimeoutMs: 0 });
    // One endless chunk: the parser counts it as body bytes as they come.
    const r = await sendLargeBody(port, `POST /a/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${(BODY * 2).toString(16)}\r\n`, BODY);
    expect(r.reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.error).toBeUndefined();
    expect(r.written).toBeGreaterThanOrEqual(BODY);
  });

  it('a parser refusal (431) written straight to the socket lingers the same way', async () => {
    const up = await startUpstream((_req, res) => res.end('ok'));
    const port = await startGateway([plainApi('a', '/a', [up.url])], {}, { maxHeaderBytes: 2_048 });
    // Headers that never end: the parser refuses them at 2 KiB while the client goes on.
    const r = await sendLargeBody(port, `GET /a/x HTTP/1.1\r\nHost: a\r\nX-Big: `, BODY);
    expect(r.reply).toMatch(/^HTTP\/1\.1 431 /);
    expect(r.error).toBeUndefined();
    expect(r.written).toBeGreaterThanOrEqual(BODY);
  });
});

describe('CLIENT_BODY_TIMEOUT_MS', () => {
  it('a body that stops arriving gets 408 and its connection closes; the upstream request is abandoned', async () => {
    let upstreamClosed = 0;
    const up = await startUpstream((req, res) => {
      req.resume();
      res.on('close', () => upstreamClosed++);
    });
    // Request buffering off: the body streams to the upstream.
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientBodyTimeoutMs: 300 }, {}, { requestBytes: 0 });
    const c = client(port, 'POST /a/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nab');
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.text()).toContain('GW_REQUEST_TIMEOUT');
    expect(c.responses()).toBe(1);
    await waitFor('the upstream request to be abandoned', () => upstreamClosed === 1, { timeoutMs: 5_000 });
  });

  it('a body that keeps making progress is not cut', async () => {
    const up = await startUpstream((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(String(n)));
    });
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientBodyTimeoutMs: 400 });
    const c = client(port, 'POST /a/x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n');
    // 12 bytes, 100 ms apart: 1.2 s in all, three times the timeout, never silent for it.
    await trickle(c, 100, 12);
    await waitFor('the answer', () => c.text().endsWith('\r\n\r\n12'), { timeoutMs: 5_000 });
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('CLIENT_SEND_TIMEOUT_MS', () => {
  it('a client that stops reading a large response loses its connection, and the upstream connection is released', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 'y');
    let asked = 0;
    const up = await startUpstream((_req, res) => {
      asked++;
      res.writeHead(200, { 'content-length': big.length });
      res.end(big);
    });
    // No disk spill: the response streams with backpressure (the spilled case is below).
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 300 }, {}, { diskBytes: 0 });
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\n');
    // Reads nothing: only what the kernel's socket buffers hold reaches it (a few MiB at
    // most on loopback). Pausing once the head had been seen, as before, let a loaded
    // machine's client read all 16 MiB between two looks.
    c.socket.pause();
    await waitFor('the upstream request', () => asked === 1, { timeoutMs: 10_000 });
    // The gateway cuts the client and aborts its upstream request with its connection.
    await waitFor('the upstream connection to close', () => up.open() === 0, { timeoutMs: 10_000 });
    c.socket.resume();
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.text().length).toBeLessThan(big.length);
  });
});

describe('buffering for slow clients', () => {
  it('a trickling small upload holds no upstream connection and no breaker slot until its body is in', async () => {
    let seen = 0;
    const up = await startUpstream((req, res) => {
      seen++;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    // A breaker with one slot: while the slow upload trickles, another request still gets through.
    const api = plainApi('a', '/a', [up.url], {
      upstream: plainUpstream([up.url], { circuitBreaker: { maxConcurrent: 1, maxPending: 0, failureRatePercent: 50, windowMs: 10_000, minRequests: 1000, openMs: 5_000, halfOpenRequests: 3 } }),
    });
    const port = await startGateway([api], { clientBodyTimeoutMs: 5_000 });
    const slow = client(port, 'POST /a/slow HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab');
    await waitFor('the slow upload to be read', () => budgets.at(-1)!.used === 6);
    expect(seen).toBe(0);
    expect(up.open()).toBe(0);
    const fast = client(port, 'GET /a/fast HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the other request to be answered', () => fast.text().endsWith('ok'));
    expect(fast.text()).toMatch(/^HTTP\/1\.1 200 /);
    slow.socket.write('cdef');
    await waitFor('the upload to be forwarded once complete', () => slow.text().endsWith('ok'));
    await waitFor('the reservation to be given back', () => budgets.at(-1)!.used === 0);
  });

  it('BUFFER_MEMORY_BYTES: a small body that would pass the budget streams unbuffered instead (counted); an idempotent one gets 503 with Retry-After; the budget is given back', async () => {
    let seen = 0;
    const up = await startUpstream((req, res) => {
      seen++;
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n}`));
    });
    const idempotency = { methods: ['POST' as const], ttlMs: 120_000, lockTtlMs: 61_000, maxResponseBytes: 1024 };
    const port = await startGateway([plainApi('a', '/a', [up.url]), plainApi('pay', '/pay', [up.url], { policies: policiesOf({ idempotency }) })], {}, {}, { memoryBytes: 1_000, requestBytes: 800 });
    // 600 bytes reserved by a slow upload (read whole first: the upstream has not seen it)…
    const first = client(port, 'POST /a/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 600\r\n\r\nab');
    await waitFor('the first reservation', () => budgets.at(-1)!.used === 600);
    expect(seen).toBe(0);
    // …so another 600 do not fit: that upload streams to the upstream as it arrives, and is answered.
    const second = client(port, 'POST /a/2 HTTP/1.1\r\nHost: a\r\nContent-Length: 600\r\n\r\nab');
    await waitFor('the second upload to reach the upstream before its body is in', () => seen === 1);
    expect(budgets.at(-1)!.refused.request).toBe(1);
    second.socket.write(Buffer.alloc(598, 'y'));
    await waitFor('the second answer', () => second.text().endsWith('got 600'));
    // An idempotent body must be read whole (it is hashed): 503 with Retry-After, the connection closes.
    const paying = client(port, 'POST /pay/1 HTTP/1.1\r\nHost: a\r\nIdempotency-Key: k1\r\nContent-Length: 600\r\n\r\nab');
    await paying.closed;
    expect(paying.text()).toMatch(/^HTTP\/1\.1 503 /);
    expect(paying.text().toLowerCase()).toContain('retry-after: 1');
    expect(paying.text()).toContain('GW_BUFFER_MEMORY_FULL');
    expect(paying.responses()).toBe(1);
    expect(budgets.at(-1)!.refused.idempotency).toBe(1);
    first.socket.destroy();
    await waitFor('the budget to be given back', () => budgets.at(-1)!.used === 0);
  });

  it('a response up to RESPONSE_BUFFER_BYTES is taken from the upstream at once: the upstream is done while the client has not read', async () => {
    // Far more than loopback socket buffers hold, so the gateway has to keep most of it.
    const body = Buffer.alloc(32 * 1024 * 1024, 'z');
    const up = await bigUpstream(body);
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 0 }, {}, { responseBytes: 64 * 1024 * 1024 });
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    await waitFor('the upstream to have sent everything', () => up.finished() === 1);
    expect(budgets.at(-1)!.used).toBe(body.length);
    c.socket.resume();
    await waitFor('the client to get it all', () => c.text().length > body.length);
    await waitFor('the reservation to be given back', () => budgets.at(-1)!.used === 0);
  });
});

describe('response buffering takes at most half of BUFFER_MEMORY_BYTES (RESPONSE_BUFFER_SHARE)', () => {
  it('a lagging response that would pass half the budget is not kept in memory: it streams with backpressure, holding only its charge', async () => {
    // Far more than loopback socket buffers hold.
    const body = Buffer.alloc(24 * 1024 * 1024, 'z');
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    // 32 MiB would hold the 24 MiB response whole; half of it does not.
    const memoryBytes = 32 * 1024 * 1024;
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 0 }, {}, { memoryBytes, responseBytes: body.length, diskBytes: 0 });
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    const budget = budgets.at(-1)!;
    await waitFor('the response to be refused a reservation', () => budget.refused.response > 0);
    // Only the lagging connection's charge is held, far below the half.
    expect(budget.used).toBeLessThan(memoryBytes * RESPONSE_BUFFER_SHARE);
    expect(budget.used).toBeLessThan(1024 * 1024);
    c.socket.resume();
    await waitFor('the client to get it all', () => c.text().length > body.length);
    await waitFor('the charge to be given back', () => budget.used === 0);
  });
});

describe('lagging responses are cut while the response side is past its share (shedLagging)', () => {
  it('a client that keeps taking bytes is never cut, however long its response holds memory; once it takes nothing for the lag, it is', async () => {
    const logs: LogRecord[] = [];
    const minLagMs = 200;
    const connectionBytes = 3 * 1024 * 1024;
    // The cut holds the response side to 60 % (2.4 MiB); one connection's charge passes it, so the cut stays armed.
    const budget = new BufferBudget(4 * 1024 * 1024, connectionBytes, { minLagMs, logger: recordingLogger(logs) });
    expect(budget.shedAtBytes).toBe(Math.floor(4 * 1024 * 1024 * SHED_RESPONSE_SHARE));
    expect(budget.shedAtBytes).toBeLessThan(connectionBytes);
    const body = randomBytes(64 * 1024);
    const responses: ServerResponse[] = [];
    // Writes 64 KiB chunks without end, so a reader's progress shows write by write.
    const server = createServer((_req, res) => {
      responses.push(res);
      res.writeHead(200);
      const more = (): void => {
        while (!res.destroyed && res.write(body));
      };
      res.on('drain', more);
      more();
    });
    const port = await listenLocal(server);
    cleanups.push(async () => {
      server.closeAllConnections();
      await closeServer(server);
    });
    const reading = client(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const stalled = client(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    stalled.socket.pause();
    await waitFor('both answering', () => responses.length === 2);
    const responseOf = (c: Client): ServerResponse => responses.find((r) => r.socket?.remotePort === c.socket.localPort)!;
    const [readingRes, stalledRes] = [responseOf(reading), responseOf(stalled)];
    // The reading client takes a little every 20 ms: slow, never still for the lag.
    reading.socket.pause();
    const pace = setInterval(() => {
      reading.socket.resume();
      setTimeout(() => reading.socket.pause(), 2);
    }, 20);
    cleanups.push(() => clearInterval(pace));
    budget.chargeConnection(readingRes.socket!);
    // The reading one holds the most, so it would be cut first if holding memory for the lag were enough.
    budget.charge(readingRes, 128 * 1024);
    budget.charge(stalledRes, 64 * 1024);
    await waitFor('the stalled one cut', () => stalledRes.destroyed, { timeoutMs: 10_000 });
    expect(budget.shed).toBe(1);
    // Still past the share (the reading one's charge): the cut looks again every 100 ms, five times the lag long.
    const until = performance.now() + 5 * minLagMs;
    await waitFor('five lags gone by', () => performance.now() >= until, { timeoutMs: 10_000 });
    expect(budget.responseUsed).toBeGreaterThan(budget.shedAtBytes);
    expect(readingRes.destroyed).toBe(false);
    expect(budget.shed).toBe(1);
    // Once it takes nothing any more, it is cut after the lag.
    clearInterval(pace);
    reading.socket.pause();
    await waitFor('the reading one cut once it stopped', () => readingRes.destroyed, { timeoutMs: 10_000 });
    expect(budget.shed).toBe(2);
  });

  it('the slow readers holding the most are cut once they have lagged SHED_MIN_LAG_MS, until the response side is back; a fast reader and a small request are untouched; counted, one log line', async () => {
    // Far more than loopback socket buffers hold, so a paused reader lags.
    const body = randomBytes(16 * 1024 * 1024);
    const up = await bigUpstream(body);
    const logs: LogRecord[] = [];
    // 4 MiB: two 1 MiB responses kept in memory (half), the response side cut back to 2.4 MiB, no disk,
    // so the other slow readers stream with backpressure and are charged what they hold.
    const memoryBytes = 4 * 1024 * 1024;
    const { port, handler } = await startGatewayLogging([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 0 }, { memoryBytes, responseBytes: 1024 * 1024, diskBytes: 0 }, logs);
    const budget = handler.budget;
    const share = Math.floor(memoryBytes * SHED_RESPONSE_SHARE);
    expect(budget.shedAtBytes).toBe(share);
    const slow = (): Client => {
      const r = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\n');
      r.socket.pause();
      return r;
    };
    const closed = new Set<number>();
    const readers: Client[] = [];
    const add = (): void => {
      const i = readers.length;
      const r = slow();
      void r.closed.then(() => closed.add(i));
      readers.push(r);
    };
    // The first two are kept in memory: 1 MiB reserved each.
    const firstAt = performance.now();
    add();
    await waitFor('the first kept in memory', () => budget.responseUsed >= 1024 * 1024, { timeoutMs: 10_000 });
    add();
    await waitFor('the second kept in memory', () => budget.responseUsed >= 2 * 1024 * 1024, { timeoutMs: 10_000 });
    // Then streaming slow readers, each charged what its connection and paused upstream hold,
    // until the response side is past its share (bounded: each is charged at least 16 KiB).
    while (budget.responseUsed <= share && readers.length < 80) {
      const before = budget.responseUsed;
      add();
      await waitFor('the next one charged', () => budget.responseUsed > before, { timeoutMs: 10_000 });
    }
    expect(budget.responseUsed).toBeGreaterThan(share);
    await waitFor('a lagging response cut', () => budget.shed > 0, { timeoutMs: 10_000 });
    // Not before the one cut had lagged SHED_MIN_LAG_MS (the kept-in-memory ones lag from their start).
    expect(performance.now() - firstAt).toBeGreaterThanOrEqual(SHED_MIN_LAG_MS);
    await waitFor('the response side back within its share', () => budget.responseUsed <= share);
    const cut = budget.shed;
    // A well-behaved request meanwhile: answered.
    const small = client(port, 'GET /a/small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await small.closed;
    expect(small.text()).toMatch(/^HTTP\/1\.1 200 /);
    // A client that reads as fast as it can while the response side is at its share drains
    // within SHED_MIN_LAG_MS every time: never cut, every byte.
    const fast = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await fast.closed;
    expect(bodyOf(fast).equals(body)).toBe(true);
    expect(budget.shed).toBe(cut);
    // The slow readers read now (a paused socket sees no close): the cut ones end short, the
    // ones holding the most (kept in memory, 1 MiB each); the others get every byte.
    for (const r of readers) r.socket.resume();
    await waitFor('the cut ones closed', () => closed.size === cut, { timeoutMs: 10_000 });
    for (const i of closed) {
      expect(i).toBeLessThan(2);
      expect(bodyOf(readers[i]!).length).toBeLessThan(body.length);
    }
    expect(budget.shedBytes).toBeGreaterThanOrEqual(cut * 1024 * 1024);
    const kept = readers.filter((_r, i) => !closed.has(i));
    expect(kept.length).toBeGreaterThan(0);
    await waitFor('the others to get every byte', () => kept.every((r) => bodyOf(r).length >= body.length), { timeoutMs: 20_000 });
    for (const r of kept) expect(bodyOf(r).equals(body)).toBe(true);
    // One line for the interval, with what was cut.
    const line = await waitFor('the cut logged', () => logs.find((l) => l.msg === 'buffer memory: lagging responses cut'), { timeoutMs: 5_000 });
    expect(line.fields).toMatchObject({ cut, shedAtBytes: share });
    expect(logs.filter((l) => l.msg === 'buffer memory: lagging responses cut')).toHaveLength(1);
    for (const r of readers) r.socket.destroy();
    await waitFor('the budget given back', () => budget.used === 0 && budget.responseUsed === 0);
  });
});
describe('request bodies keep their share of BUFFER_MEMORY_BYTES (REQUEST_RESERVE_SHARE)', () => {
  for (const connectionBytes of [0, CONNECTION_MEMORY_BYTES])
  it(`slow readers fill the response side with their charges; an idempotent upload within the reserved share is still accepted, a larger one gets 503 (connections charged ${connectionBytes})`, async () => {
    // Far more than loopback socket buffers hold, so every reader lags.
    const body = Buffer.alloc(16 * 1024 * 1024, 'z');
    let uploads = 0;
    const up = await startUpstream((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-length': body.length });
        return void res.end(body);
      }
      uploads++;
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n}`));
    });
    const idempotency = { methods: ['POST' as const], ttlMs: 120_000, lockTtlMs: 61_000, maxResponseBytes: 1024 };
    // 1 MiB: half of it for responses kept in memory, a quarter (256 KiB) only for request bodies; no disk.
    const memoryBytes = 1024 * 1024;
    const port = await startGateway([plainApi('a', '/a', [up.url]), plainApi('pay', '/pay', [up.url], { policies: policiesOf({ idempotency }) })], { clientSendTimeoutMs: 0 }, {}, { memoryBytes, diskBytes: 0, connectionBytes });
    const budget = budgets.at(-1)!;
    // 16 slow readers (paused sockets), until what they hold leaves no room for a 200 KiB
    // body in the limit: none is kept in memory (a 1 MiB reservation does not fit half of
    // the budget), each is charged what its connection holds once the socket buffers are full.
    const size = 200 * 1024;
    const readers: Client[] = [];
    for (let i = 0; i < 16; i++) {
      const r = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\n');
      r.socket.pause();
      readers.push(r);
    }
    await waitFor('the slow readers to hold the response side', () => budget.used + size > memoryBytes, { timeoutMs: 10_000 });
    expect(budget.used + size).toBeGreaterThan(memoryBytes);
    expect(budget.responseUsed).toBeGreaterThan(memoryBytes * (1 - REQUEST_RESERVE_SHARE));
    // The 200 KiB body fits the share the slow readers cannot take: accepted, forwarded, answered.
    const paying = client(port, `POST /pay/1 HTTP/1.1\r\nHost: a\r\nIdempotency-Key: k1\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
    paying.socket.write(Buffer.alloc(size, 'p'));
    await paying.closed;
    expect(paying.text()).toMatch(/^HTTP\/1\.1 200 /);
    expect(paying.text()).toContain(`got ${size}`);
    expect(uploads).toBe(1);
    // One larger than the share is refused as before: the share is a bound, not a way around the budget.
    const tooLarge = memoryBytes * REQUEST_RESERVE_SHARE + 1;
    const refused = client(port, `POST /pay/2 HTTP/1.1\r\nHost: a\r\nIdempotency-Key: k2\r\nContent-Length: ${tooLarge}\r\n\r\n`);
    await refused.closed;
    expect(refused.text()).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused.text()).toContain('GW_BUFFER_MEMORY_FULL');
    expect(budget.refused.idempotency).toBe(1);
    for (const r of readers) r.socket.destroy();
    await waitFor('the budget to be given back', () => budget.used === 0 && budget.responseUsed === 0);
  });
});

describe('open connections are charged (CONNECTION_MEMORY_BYTES)', () => {
  /** `n` raw connections that send nothing (the headers timeout is long enough not to cut them here). */
  function idle(port: number, n: number): Socket[] {
    const sockets: Socket[] = [];
    for (let i = 0; i < n; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      cleanups.push(() => void socket.destroy());
      sockets.push(socket);
    }
    return sockets;
  }

  it('each open client connection is charged from its accept to its close, on the response side', async () => {
    const up = await startUpstream((_req, res) => res.end('ok'));
    const port = await startGateway([plainApi('a', '/a', [up.url])], {}, {}, { connectionBytes: CONNECTION_MEMORY_BYTES });
    const budget = budgets.at(-1)!;
    const sockets = idle(port, 5);
    await waitFor('five connections charged', () => budget.connectionUsed === 5 * CONNECTION_MEMORY_BYTES);
    expect(budget.used).toBe(5 * CONNECTION_MEMORY_BYTES);
    expect(budget.responseUsed).toBe(5 * CONNECTION_MEMORY_BYTES);
    // A request served on one of them changes nothing in its charge.
    const c = client(port, 'GET /a/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
    await waitFor('its charge to be given back', () => budget.connectionUsed === 5 * CONNECTION_MEMORY_BYTES);
    sockets[0]!.destroy();
    sockets[1]!.destroy();
    await waitFor('two charges given back', () => budget.used === 3 * CONNECTION_MEMORY_BYTES);
    for (const s of sockets) s.destroy();
    await waitFor('every charge given back', () => budget.used === 0 && budget.responseUsed === 0 && budget.connectionUsed === 0);
  });

  it('with many connections open, a response that would have been kept in memory goes to disk; once they close, memory again', async () => {
    // Far more than loopback socket buffers hold (up to a few MiB each way), so both readers lag.
    const body = randomBytes(32 * 1024 * 1024);
    const up = await bigUpstream(body);
    const dir = dirs.make();
    // Half of 4 MiB keeps a 1 MiB response in memory while the connections' charges leave room for it.
    const memoryBytes = 4 * 1024 * 1024;
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 10_000 }, {}, { memoryBytes, responseBytes: 1024 * 1024, diskBytes: 64 * 1024 * 1024, responseDiskBytes: 64 * 1024 * 1024, dir, connectionBytes: CONNECTION_MEMORY_BYTES });
    const budget = budgets.at(-1)!;
    const disk = diskBudgets.at(-1)!;
    const crowd = idle(port, Math.ceil((memoryBytes * RESPONSE_BUFFER_SHARE) / CONNECTION_MEMORY_BYTES));
    await waitFor('the crowd charged', () => budget.connectionUsed === crowd.length * CONNECTION_MEMORY_BYTES);
    const first = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor('the head', () => first.text().startsWith('HTTP/1.1 200'));
    first.socket.pause();
    // Refused memory: the whole response is reserved on disk, nothing of it in memory.
    await waitFor('the response spilled', () => disk.used === body.length, { timeoutMs: 10_000 });
    expect(budget.refused.response).toBeGreaterThan(0);
    expect(budget.used - budget.connectionUsed).toBeLessThan(1024 * 1024);
    for (const s of crowd) s.destroy();
    await waitFor('the crowd given back', () => budget.connectionUsed === CONNECTION_MEMORY_BYTES * 1);
    const second = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor('the head', () => second.text().startsWith('HTTP/1.1 200'));
    second.socket.pause();
    // With the crowd gone the second slow reader's first 1 MiB is kept in memory before anything spills.
    await waitFor('the second response kept in memory', () => budget.used - budget.connectionUsed >= 1024 * 1024, { timeoutMs: 10_000 });
    first.socket.resume();
    second.socket.resume();
    await first.closed;
    await second.closed;
    expect(bodyOf(first).equals(body)).toBe(true);
    expect(bodyOf(second).equals(body)).toBe(true);
    await waitFor('everything given back', () => budget.used === 0 && disk.used === 0);
  });
});

describe('per-API buffering switches (upstream.buffering)', () => {
  const oneSlot = { maxConcurrent: 1, maxPending: 0, failureRatePercent: 50, windowMs: 10_000, minRequests: 1000, openMs: 5_000, halfOpenRequests: 3 };

  it('requests: false: a small upload streams to the upstream as it arrives, holding its slot meanwhile', async () => {
    let seen = 0;
    const up = await startUpstream((req, res) => {
      seen++;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const api = plainApi('a', '/a', [up.url], { upstream: plainUpstream([up.url], { circuitBreaker: oneSlot, buffering: { requests: false, responses: true } }) });
    const port = await startGateway([api], { clientBodyTimeoutMs: 5_000 });
    const slow = client(port, 'POST /a/slow HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab');
    // Forwarded before its body is in, nothing reserved; the one slot is taken.
    await waitFor('the upload to reach the upstream', () => seen === 1);
    expect(budgets.at(-1)!.used).toBe(0);
    const other = client(port, 'GET /a/fast HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await other.closed;
    expect(other.text()).toMatch(/^HTTP\/1\.1 503 /);
    slow.socket.write('cdef');
    await waitFor('the upload to be answered', () => slow.text().endsWith('ok'));
  });

  it('responses: false: a paused client keeps the upstream paused (plain backpressure); nothing is reserved or spilled', async () => {
    // Far more than loopback socket buffers hold.
    const body = Buffer.alloc(32 * 1024 * 1024, 'z');
    const up = await bigUpstream(body);
    const dir = dirs.make();
    const buffers = { responseBytes: 64 * 1024 * 1024, diskBytes: 128 * 1024 * 1024, dir };
    const api = plainApi('a', '/a', [up.url], { upstream: plainUpstream([up.url], { buffering: { requests: true, responses: false } }) });
    const port = await startGateway([api], { clientSendTimeoutMs: 0 }, {}, buffers);
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    // The upstream is held back: still sending after a while, the gateway holding nothing for it.
    await new Promise((r) => setTimeout(r, 500));
    expect(up.finished()).toBe(0);
    expect(up.open()).toBe(1);
    // Only what the lagging connection holds is charged: what it queued (past Node's 16 KiB
    // high-water mark, at most one more upstream read of 64 KiB) and the paused upstream's
    // read-ahead; nothing is spilled.
    const used = budgets.at(-1)!.used;
    expect(used).toBeGreaterThanOrEqual(16 * 1024 + UPSTREAM_READ_AHEAD_BYTES);
    expect(used).toBeLessThanOrEqual(16 * 1024 + 64 * 1024 + UPSTREAM_READ_AHEAD_BYTES);
    expect(budgets.at(-1)!.responseUsed).toBe(used);
    expect(diskBudgets.at(-1)!.used).toBe(0);
    c.socket.resume();
    await waitFor('the client to get it all', () => c.text().length > body.length);
    expect(up.finished()).toBe(1);
    await waitFor('the charge to be given back', () => budgets.at(-1)!.used === 0);
  });
});

describe('connections that never send a byte', () => {
  it('are closed after HEADERS_TIMEOUT_MS from their accept; a connection that sends a request is not', async () => {
    const up = await startUpstream((_req, res) => res.end('ok'));
    const port = await startGateway([plainApi('a', '/a', [up.url])], {}, { headersTimeoutMs: 300, keepAliveTimeoutMs: 5_000 });
    const silent = client(port, '');
    const started = performance.now();
    const talking = client(port, 'GET /a/x HTTP/1.1\r\nHost: a\r\n\r\n');
    await silent.closed;
    expect(silent.text()).toBe('');
    expect(performance.now() - started).toBeLessThan(3_000);
    // Opened with the silent one, past its cut: the keep-alive connection is still open (KEEPALIVE_TIMEOUT_MS rules it).
    await waitFor('the answer', () => talking.text().endsWith('ok'));
    expect(talking.socket.destroyed).toBe(false);
  });

  it('does not cut a quiet WebSocket: its handshake ends the watch', async () => {
    const echo = await startWebSocketEchoServer();
    cleanups.push(() => echo.close());
    const port = await startGateway([plainApi('chat', '/chat', [echo.url])], {}, { headersTimeoutMs: 300 });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat/room`);
    cleanups.push(() => ws.close());
    await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
    // A silent connection opened after the handshake is cut: the watch's time has passed for the WebSocket too.
    const silent = client(port, '');
    await silent.closed;
    const reply = new Promise<string>((resolve) => ws.addEventListener('message', (e) => resolve(String(e.data)), { once: true }));
    ws.send('still here');
    expect(await reply).toBe('still here');
  });
});

describe('MAX_CONNECTIONS and overload actions', () => {
  it('refuses connections beyond the cap at once, counts and logs them once per interval, and closes idle connections under pressure', async () => {
    const up = await startUpstream((_req, res) => res.end('ok'));
    const logs: LogRecord[] = [];
    const handler = createProxyHandler({ getConfig: stateWith([plainApi('a', '/a', [up.url])]).getConfig });
    // Every connection comes from 127.0.0.1: the per-address share (overload-guard.spec.ts) is off to reach the cap itself.
    const listener = createProxyListener(handler, { maxConnections: 4, maxConnectionsPerAddress: 0 }, recordingLogger(logs));
    const port = await listenLocal(listener.server);
    cleanups.push(async () => {
      listener.server.closeAllConnections();
      handler.close();
      await closeServer(listener.server);
    });
    const idle = [0, 1, 2, 3].map(() => client(port, ''));
    await waitFor('four connections', () => listener.overload.connections === 4);
    const extra = [client(port, 'GET /a/x HTTP/1.1\r\nHost: a\r\n\r\n'), client(port, 'GET /a/x HTTP/1.1\r\nHost: a\r\n\r\n')];
    await Promise.all(extra.map((c) => c.closed));
    for (const c of extra) expect(c.text()).toBe('');
    expect(listener.overload.refused).toBe(2);
    // At the cap (≥ 90 %): pressure; the idle connections are closed by the next check.
    await Promise.all(idle.map((c) => c.closed));
    const line = await waitFor('one overload line with the count', () => logs.find((r) => r.level === 'warn' && (r.fields as { refused?: number }).refused === 2));
    expect(line.fields).toMatchObject({ maxConnections: 4, reason: 'connections' });
    expect(logs.filter((r) => (r.fields as { refused?: number }).refused === 2)).toHaveLength(1);
  });
});

describe('slow readers beyond the memory budget: responses spilled to temporary files', () => {
  // One breaker slot and no queue: a second request gets through only once the first has given its slot back.
  const oneSlot = { circuitBreaker: { maxConcurrent: 1, maxPending: 0, failureRatePercent: 50, windowMs: 10_000, minRequests: 1000, openMs: 5_000, halfOpenRequests: 3 } };

  /** This process's descriptors open on files of `dir` (unlinked ones show as `… (deleted)`). */
  function openFilesIn(dir: string): string[] {
    const links: string[] = [];
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        if (target.startsWith(dir + '/')) links.push(target);
      } catch {
        // Closed while listing.
      }
    }
    return links;
  }

  it('the upstream finishes and the breaker slot is freed while the client pauses; the client gets the exact bytes; no file is left', async () => {
    // Far more than loopback socket buffers hold (up to a few MiB each way).
    const body = randomBytes(32 * 1024 * 1024);
    const up = await bigUpstream(body);
    const dir = dirs.make();
    const api = plainApi('a', '/a', [up.url], { upstream: plainUpstream([up.url], oneSlot) });
    // Memory holds no response (1 KiB budget): everything past the socket buffers goes to disk.
    const port = await startGateway([api], { clientSendTimeoutMs: 10_000 }, {}, { memoryBytes: 1024, diskBytes: 128 * 1024 * 1024, responseDiskBytes: 64 * 1024 * 1024, dir });
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    await waitFor('the upstream to have sent everything', () => up.finished() === 1);
    // The gateway has read it all once the pooled connection is idle (the upstream closes it after 100 ms).
    await waitFor('the upstream connection to be closed', () => up.open() === 0, { timeoutMs: 10_000 });
    expect(diskBudgets.at(-1)!.used).toBe(body.length);
    expect(budgets.at(-1)!.refused.response).toBe(1);
    // The file is unlinked (the directory is empty) but held open.
    expect(readdirSync(dir)).toEqual([]);
    expect(openFilesIn(dir)).toHaveLength(1);
    expect(openFilesIn(dir)[0]).toMatch(/ \(deleted\)$/);
    // The breaker slot is free although the client has not read: another request is answered.
    const other = client(port, 'GET /a/small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await other.closed;
    expect(other.text()).toMatch(/^HTTP\/1\.1 200 [\s\S]*ok$/);
    c.socket.resume();
    await c.closed;
    expect(bodyOf(c).equals(body)).toBe(true);
    await waitFor('the disk reservation to be given back', () => diskBudgets.at(-1)!.used === 0);
    await waitFor('the file to be closed', () => openFilesIn(dir).length === 0);
  });

  it('a response kept in memory up to RESPONSE_BUFFER_BYTES and then on disk gives both budgets back, each its own', async () => {
    const body = randomBytes(32 * 1024 * 1024);
    const up = await bigUpstream(body);
    const dir = dirs.make();
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 10_000 }, {}, { memoryBytes: 64 * 1024 * 1024, responseBytes: 1024 * 1024, diskBytes: 128 * 1024 * 1024, responseDiskBytes: 64 * 1024 * 1024, dir });
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    await waitFor('the upstream connection to be closed', () => up.finished() === 1 && up.open() === 0, { timeoutMs: 10_000 });
    // 1 MiB in memory, and the spill's own memory charged (SPILL_MEMORY_BYTES) until the
    // upstream is all in the file: then only its one read.
    await waitFor('the disk queue to be given back', () => budgets.at(-1)!.used === 1024 * 1024 + SPILL_MEMORY_BYTES - SPILL_WRITE_QUEUE_BYTES);
    expect(diskBudgets.at(-1)!.used).toBe(body.length);
    c.socket.resume();
    await c.closed;
    expect(bodyOf(c).equals(body)).toBe(true);
    await waitFor('both reservations to be given back', () => budgets.at(-1)!.used === 0 && diskBudgets.at(-1)!.used === 0);
  });

  it('pipelined requests are forwarded one at a time: a slow reader holds one upstream request, not one per pipelined request', async () => {
    const body = randomBytes(32 * 1024 * 1024);
    const up = await bigUpstream(body);
    // Nothing decouples the slow reader (no memory, no disk): its first response holds the upstream back.
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 10_000 }, {}, { memoryBytes: 1024, diskBytes: 0 });
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\nGET /a/small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    await waitFor('backpressure on the upstream', () => budgets.at(-1)!.refused.response >= 1);
    // Node parsed both requests on arrival; the second waits for the first response to be sent.
    expect(up.hits()).toBe(1);
    c.socket.resume();
    await c.closed;
    expect(up.hits()).toBe(2);
    expect(c.responses()).toBe(2);
    expect(c.text().endsWith('ok')).toBe(true);
  });

  it('CLIENT_SEND_TIMEOUT_MS still cuts a client served from the file; the file is closed', async () => {
    // Far more than loopback socket buffers hold (up to a few MiB each way).
    const body = randomBytes(32 * 1024 * 1024);
    const up = await bigUpstream(body);
    const dir = dirs.make();
    const port = await startGateway([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 300 }, {}, { memoryBytes: 1024, diskBytes: 128 * 1024 * 1024, responseDiskBytes: 64 * 1024 * 1024, dir });
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    await waitFor('the upstream to have sent everything', () => up.finished() === 1);
    await waitFor('the client to be cut', () => diskBudgets.at(-1)!.used === 0, { timeoutMs: 10_000 });
    c.socket.resume();
    await c.closed;
    expect(bodyOf(c).length).toBeLessThan(body.length);
    await waitFor('the file to be closed', () => openFilesIn(dir).length === 0);
  });

  it('beyond BUFFER_DISK_BYTES (or RESPONSE_DISK_BYTES) the response streams as before: the slot stays held until the client reads', async () => {
    // Far more than loopback socket buffers hold (up to a few MiB each way).
    const body = randomBytes(32 * 1024 * 1024);
    const up = await bigUpstream(body);
    const dir = dirs.make();
    const api = plainApi('a', '/a', [up.url], { upstream: plainUpstream([up.url], oneSlot) });
    for (const disk of [{ diskBytes: 1024 * 1024, responseDiskBytes: 64 * 1024 * 1024 }, { diskBytes: 128 * 1024 * 1024, responseDiskBytes: 1024 * 1024 }]) {
      const port = await startGateway([api], { clientSendTimeoutMs: 10_000 }, {}, { memoryBytes: 1024, dir, ...disk });
      const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
      c.socket.pause();
      await waitFor('backpressure on the upstream', () => budgets.at(-1)!.refused.response >= 1);
      // No file, and the slot is held: another request is refused (breaker full).
      expect(openFilesIn(dir)).toEqual([]);
      expect(diskBudgets.at(-1)!.used).toBe(0);
      const other = client(port, 'GET /a/small HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      await other.closed;
      expect(other.text()).toMatch(/^HTTP\/1\.1 503 /);
      c.socket.resume();
      await c.closed;
      expect(bodyOf(c).equals(body)).toBe(true);
    }
    expect(up.finished()).toBe(2);
  });
  it('a BUFFER_DIR where no file can be made: the response streams as before and arrives whole; one warn line', async () => {
    const body = randomBytes(32 * 1024 * 1024);
    const up = await bigUpstream(body);
    const dir = dirs.make() + '/missing';
    const logs: LogRecord[] = [];
    // Nothing kept in memory, so the response goes for the disk at its first stall (a budget
    // of a few bytes would do that too, but its response side would then cut the lagging client).
    const buffers = { responseBytes: 0, diskBytes: 128 * 1024 * 1024, responseDiskBytes: 64 * 1024 * 1024, dir, connectionBytes: CONNECTION_MEMORY_BYTES };
    const { port, handler } = await startGatewayLogging([plainApi('a', '/a', [up.url])], { clientSendTimeoutMs: 10_000 }, buffers, logs);
    const c = client(port, 'GET /a/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    // One aggregated line (FailureLog) per interval, not one per response.
    const line = await waitFor('the failed spill to be logged', () => logs.find((l) => l.msg === 'upstream failures: response-spill-unavailable'), { timeoutMs: 15_000 });
    expect(line.fields).toMatchObject({ api: 'a', reason: 'response-spill-unavailable', count: 1, lastCode: 'ENOENT' });
    c.socket.resume();
    await c.closed;
    expect(bodyOf(c).equals(body)).toBe(true);
    await waitFor('the disk reservation to be given back', () => handler.diskBudget.used === 0);
  });
});
