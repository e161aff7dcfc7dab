// Slow clients and overload (issue 15), against a real runtime process over raw sockets:
// one response per request, CLIENT_BODY_TIMEOUT_MS, CLIENT_SEND_TIMEOUT_MS, the buffer
// budget (beyond BUFFER_MEMORY_BYTES: small bodies stream, idempotent ones get 503 +
// Retry-After) and the connection cap (the admin
// listener still answers at MAX_CONNECTIONS). Short values come through the env.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { createTempDatabase } from '@gw/store/testing';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  logRecords,
  putApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';

const ENV = {
  HEADERS_TIMEOUT_MS: '500',
  REQUEST_TIMEOUT_MS: '3000',
  CLIENT_BODY_TIMEOUT_MS: '600',
  CLIENT_SEND_TIMEOUT_MS: '600',
  BUFFER_MEMORY_BYTES: '2000',
  // The budget's arithmetic here is request bodies' at 2,000 bytes, which one connection's
  // charge (48 KiB) would fill; the connection charge is proven in 29-overload-fairness.
  BUFFER_CONNECTION_BYTES: '0',
  // One lagging reader passes a 2,000-byte budget's response side, and would be cut for it
  // after 500 ms: the per-API send timeout below is about timers, not the budget (cutting is
  // proven in the proxy's slow-clients spec and the abuse suite).
  BUFFER_SHED_MIN_LAG_MS: '0',
  REQUEST_BUFFER_BYTES: '1500',
  MAX_CONNECTIONS: '40',
  // Responses for slow readers beyond the memory budget are spilled here (and unlinked at once).
  BUFFER_DIR: mkdtempSync(join(tmpdir(), 'gw-it-spill-')),
};
const BIG = Buffer.alloc(32 * 1024 * 1024, 'b');

let db: { url: string; drop(): Promise<void> };
let ctl: ControllerProcess;
let rt: RuntimeProcess;
let upstream: Server;
/** Upstream connections open now. */
let upstreamOpen = 0;
let port: number;

beforeAll(async () => {
  db = await createTempDatabase();
  upstream = createServer((req, res) => {
    // /never: reads the body, never answers. /big: 32 MiB. Anything else: echoes the body length.
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    if (req.url?.startsWith('/never')) return;
    if (req.url?.startsWith('/big')) {
      res.writeHead(200, { 'content-length': BIG.length });
      res.end(BIG);
      return;
    }
    req.on('end', () => res.end(`got ${n}`));
  });
  upstream.on('connection', (s: Socket) => {
    upstreamOpen++;
    s.on('close', () => upstreamOpen--);
  });
  const upstreamUrl = `http://127.0.0.1:${await listenLocal(upstream)}`;
  ctl = await startControllerProcess({ id: 'ctl-slow', databaseUrl: db.url });
  await waitControllerReady(ctl);
  rt = await startRuntimeProcess({ id: 'rt-slow', controllers: ctl.grpc, env: ENV });
  port = rt.proxyPort;
  const res = await putApi(ctl, 'slow', {
    name: 'slow',
    basePath: '/slow',
    upstream: { targets: [{ url: upstreamUrl }], retries: { attempts: 0 }, timeouts: { requestMs: 400 } },
  });
  expect(res.status, res.body).toBeLessThan(300);
  // The same upstream under an idempotency-key policy: its bodies are read whole (hashed), never streamed.
  const pay = await putApi(ctl, 'slowpay', {
    name: 'slowpay',
    basePath: '/slowpay',
    upstream: { targets: [{ url: upstreamUrl }], retries: { attempts: 0 }, timeouts: { requestMs: 400 } },
    policies: { idempotency: {} },
  });
  expect(pay.status, pay.body).toBeLessThan(300);
  // The same upstream with its own, longer client timeouts (upstream.timeouts.clientBodyMs /
  // clientSendMs) than the runtime's 600 ms.
  const patient = await putApi(ctl, 'patient', {
    name: 'patient',
    basePath: '/patient',
    upstream: { targets: [{ url: upstreamUrl }], retries: { attempts: 0 }, timeouts: { requestMs: 10_000, clientBodyMs: 8_000, clientSendMs: 8_000 } },
  });
  expect(patient.status, patient.body).toBeLessThan(300);
  await waitRuntimeVersion(rt, patient.json().configVersion);
}, 60_000);

afterAll(async () => {
  await stopAll();
  upstream?.closeAllConnections();
  if (upstream) await closeServer(upstream);
  await db?.drop();
  rmSync(ENV.BUFFER_DIR, { recursive: true, force: true });
});

interface Client {
  socket: Socket;
  text(): string;
  responses(): number;
  closed: Promise<void>;
}

function open(first: string): Client {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  if (first !== '') socket.write(first);
  const text = () => Buffer.concat(chunks).toString('latin1');
  return {
    socket,
    text,
    responses: () => (text().match(/HTTP\/1\.1 \d{3} /g) ?? []).length,
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
  };
}

/** One byte every `gapMs` until the socket closes (or `max` bytes). */
async function trickle(c: Client, gapMs: number, max: number): Promise<void> {
  for (let i = 0; i < max && c.socket.writable && !c.socket.destroyed; i++) {
    c.socket.write('x');
    await new Promise((r) => setTimeout(r, gapMs));
  }
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('one response per request', () => {
  it('a trickling streamed POST that gets 504 sees exactly one response, then the end of the connection', async () => {
    // Larger than REQUEST_BUFFER_BYTES: it streams to the upstream, which never answers.
    const c = open('POST /slow/never HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nab');
    // Bytes keep coming (up to 6 s, past REQUEST_TIMEOUT_MS, which used to write a second
    // response, a 408, on the same connection) until the runtime closes the connection.
    const sending = trickle(c, 100, 60);
    await c.closed;
    await sending;
    const text = c.text();
    expect(text).toMatch(/^HTTP\/1\.1 504 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(c.responses(), text).toBe(1);
  });
});

describe('client timeouts', () => {
  it('CLIENT_BODY_TIMEOUT_MS: a body that stops arriving gets one 408 and the connection closes', async () => {
    const c = open('POST /slow/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nab');
    const started = performance.now();
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.text()).toContain('GW_REQUEST_TIMEOUT');
    expect(c.responses()).toBe(1);
    // Well before REQUEST_TIMEOUT_MS (3 s): the body timeout (0.6 s) cut it.
    expect(performance.now() - started).toBeLessThan(2_900);
  });

  it('CLIENT_SEND_TIMEOUT_MS: a client that stops reading loses its connection and the upstream connection is released', async () => {
    const c = open('GET /slow/big HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    await waitFor('the upstream connection to be released', () => upstreamOpen === 0, { timeoutMs: 10_000 });
    c.socket.resume();
    await c.closed;
    expect(c.text().length).toBeLessThan(BIG.length);
    // Served from a temporary file past the 2,000-byte memory budget: the disk reservation
    // is given back with the connection, the file was unlinked at once, and none failed.
    await waitFor('the disk reservation to be given back', async () => metric(await scrape(rt.admin), 'gateway_buffer_disk_bytes') === 0);
    expect(metric(await scrape(rt.admin), 'gateway_buffer_disk_limit_bytes')).toBe(1024 * 1024 * 1024);
    expect(readdirSync(ENV.BUFFER_DIR)).toEqual([]);
    expect(logRecords(rt.proc).filter((r) => String(r.msg).includes('spill'))).toEqual([]);
  });
});

describe('per-API client timeouts (upstream.timeouts), deployed through the controller', () => {
  it('clientBodyMs: a body silent longer than CLIENT_BODY_TIMEOUT_MS but within the API\'s timeout goes through', async () => {
    // The runtime's 600 ms would cut a 1.5 s pause (the test above); this API allows 8 s.
    const c = open('POST /patient/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nConnection: close\r\n\r\nab');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(c.text()).toBe('');
    c.socket.write('x'.repeat(998));
    await c.closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.text()).toContain('got 1000');
    expect(c.responses()).toBe(1);
  });

  it('clientSendMs: a reader that pauses longer than CLIENT_SEND_TIMEOUT_MS but within the API\'s timeout gets the whole response', async () => {
    const c = open('GET /patient/big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await waitFor('the head', () => c.text().startsWith('HTTP/1.1 200'));
    c.socket.pause();
    // Past the runtime's 600 ms (which cut the reader on /slow above), within the API's 8 s.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(c.socket.destroyed).toBe(false);
    c.socket.resume();
    await c.closed;
    const text = c.text();
    const body = text.length - (text.indexOf('\r\n\r\n') + 4);
    expect(body).toBe(BIG.length);
  });
});

describe('BUFFER_MEMORY_BYTES', () => {
  it('a small body that would pass the budget streams unbuffered (counted); an idempotent one gets 503 with Retry-After', async () => {
    // 1200 of the 2000 bytes reserved by a slow small upload (buffered before a target is picked)…
    const first = open('POST /slow/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1200\r\n\r\nab');
    await waitFor('the first reservation', async () => metric(await scrape(rt.admin), 'gateway_buffer_memory_bytes') === 1200);
    // …so another 1200 do not fit: that upload streams to the upstream unbuffered and is answered…
    const second = open('POST /slow/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1200\r\n\r\nab');
    await waitFor('the refusal to be counted', async () => metric(await scrape(rt.admin), 'gateway_buffer_refused_total{kind="request"}') === 1);
    second.socket.write(Buffer.alloc(1198, 'z'));
    await waitFor('the second answer', () => second.text().endsWith('got 1200'));
    expect(second.text()).toMatch(/^HTTP\/1\.1 200 /);
    // …while an idempotent body, which must be read whole, gets 503 with Retry-After.
    const paying = open('POST /slowpay/echo HTTP/1.1\r\nHost: a\r\nIdempotency-Key: it-1\r\nContent-Length: 1200\r\n\r\nab');
    await paying.closed;
    expect(paying.text()).toMatch(/^HTTP\/1\.1 503 /);
    expect(paying.text().toLowerCase()).toContain('retry-after: 1');
    expect(paying.text()).toContain('GW_BUFFER_MEMORY_FULL');
    expect(paying.responses()).toBe(1);
    expect(metric(await scrape(rt.admin), 'gateway_buffer_refused_total{kind="idempotency"}')).toBe(1);
    // The first one completes normally, and the budget is given back.
    first.socket.write(Buffer.alloc(1198, 'y'));
    await waitFor('the first answer', () => first.text().endsWith('got 1200'));
    await waitFor('the budget to be given back', async () => metric(await scrape(rt.admin), 'gateway_buffer_memory_bytes') === 0);
    first.socket.destroy();
    second.socket.destroy();
  });
});

describe('MAX_CONNECTIONS', () => {
  it('refuses connections beyond the cap at once, counts and logs them, and the admin listener keeps answering', async () => {
    const held: Client[] = [];
    // 50 idle connections at once against a cap of 40. The overload guard closes idle
    // connections under pressure (every second), which could make room between two
    // connections: try a few rounds (bounded) until refusals are counted.
    let refused = 0;
    for (let round = 0; round < 5 && refused === 0; round++) {
      for (let i = 0; i < 50; i++) held.push(open(''));
      refused = await waitFor('the refusals to be counted', async () => {
        const n = metric(await scrape(rt.admin), 'gateway_client_connections_refused_total');
        return n >= 1 ? n : false;
      }, { timeoutMs: 2_000 }).catch(() => 0);
    }
    expect(refused, 'connections beyond MAX_CONNECTIONS are refused and counted').toBeGreaterThanOrEqual(1);
    // The admin listener answers at the cap.
    const text = await scrape(rt.admin);
    expect(metric(text, 'gateway_client_connections_refused_total')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'gateway_client_connections_max')).toBe(40);
    await waitFor('one overload log line with the count', () =>
      logRecords(rt.proc).find((r) => r.level === 'warn' && typeof r.refused === 'number' && r.refused >= 1 && r.maxConnections === 40),
    );
    for (const c of held) c.socket.destroy();
    // Under the cap again: served.
    await waitFor('a request to be served again', async () => {
      const c = open('GET /slow/echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      await c.closed;
      return c.text().endsWith('got 0');
    });
  });
});
