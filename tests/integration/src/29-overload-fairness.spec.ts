// Slow clients and overload at the defaults (issue 15), against a real runtime process
// over raw sockets: one client address's connection flood leaves room for the others
// (MAX_CONNECTIONS_PER_ADDRESS), the per-API buffering switches deployed through the
// controller, a pipelined idempotent request whose connection dies gives back its
// buffer reservation and its claim, and lagging responses cut past the response side's
// share of a small budget. 127.0.0.2 is another client address than 127.0.0.1
// (Linux routes all of 127/8 to loopback).
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { SHED_RESPONSE_SHARE } from '@gw/proxy';
import { createTempDatabase } from '@gw/store/testing';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRecords, putApi, startControllerProcess, startRuntimeProcess, waitControllerReady, waitRuntimeVersion, type ControllerProcess, type RuntimeProcess } from './support/gateway-processes.js';
import { stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';

// Only the cap is small (so a flood reaches it); the per-address share is its default (90 %: 36).
const ENV = { MAX_CONNECTIONS: '40', CLIENT_SEND_TIMEOUT_MS: '0' };
const BIG = Buffer.alloc(32 * 1024 * 1024, 'b');

let db: { url: string; drop(): Promise<void> };
let ctl: ControllerProcess;
let rt: RuntimeProcess;
let upstream: Server;
/** Upstream connections open now, /big responses asked for and sent whole, and bodies of POSTs the upstream got. */
let upstreamOpen = 0;
let bigRequests = 0;
let bigFinished = 0;
const posted: string[] = [];
let upstreamUrl: string;
/** The config version every API is deployed at (a second runtime waits for it). */
let version = 0;

beforeAll(async () => {
  db = await createTempDatabase();
  upstream = createServer((req, res) => {
    // /big: 32 MiB (far more than loopback socket buffers hold). /slow: after 500 ms. Else: at once.
    if (req.url?.endsWith('/big')) {
      bigRequests++;
      res.on('finish', () => bigFinished++);
      return void res.writeHead(200, { 'content-length': BIG.length }).end(BIG);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') posted.push(Buffer.concat(chunks).toString());
      setTimeout(() => res.end(`ran ${req.url}`), req.url?.endsWith('/slow') ? 500 : 0);
    });
  });
  upstream.on('connection', (s: Socket) => {
    upstreamOpen++;
    s.on('close', () => upstreamOpen--);
  });
  upstreamUrl = `http://127.0.0.1:${await listenLocal(upstream)}`;
  ctl = await startControllerProcess({ id: 'ctl-fair', databaseUrl: db.url });
  await waitControllerReady(ctl);
  rt = await startRuntimeProcess({ id: 'rt-fair', controllers: ctl.grpc, env: ENV });
  for (const api of [
    { name: 'shop', basePath: '/shop', upstream: { targets: [{ url: upstreamUrl }] } },
    { name: 'stream', basePath: '/stream', upstream: { targets: [{ url: upstreamUrl }], buffering: { responses: false } } },
    { name: 'pay', basePath: '/pay', upstream: { targets: [{ url: upstreamUrl }] }, policies: { idempotency: {} } },
  ]) {
    const res = await putApi(ctl, api.name, api);
    expect(res.status, res.body).toBeLessThan(300);
    version = res.json().configVersion;
  }
  await waitRuntimeVersion(rt, version);
}, 60_000);

afterAll(async () => {
  await stopAll();
  upstream?.closeAllConnections();
  if (upstream) await closeServer(upstream);
  await db?.drop();
});

interface Client {
  socket: Socket;
  text(): string;
  closed(): boolean;
}

function open(first: string, from = '127.0.0.1', reads = true, port = rt.proxyPort): Client {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  const chunks: Buffer[] = [];
  let closed = false;
  if (reads) socket.on('data', (c: Buffer) => chunks.push(c));
  else socket.pause();
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  if (first !== '') socket.write(first);
  return { socket, text: () => Buffer.concat(chunks).toString('latin1'), closed: () => closed };
}

/** What BUFFER_MEMORY_BYTES holds besides the open connections' own charges: reservations and lagging charges. */
function heldByBuffers(text: string): number {
  return metric(text, 'gateway_buffer_memory_bytes') - metric(text, 'gateway_buffer_memory_connection_bytes');
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function served(path: string): Promise<string> {
  const c = open(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
  await waitFor(`${path} answered`, () => c.closed());
  return c.text();
}

describe('MAX_CONNECTIONS_PER_ADDRESS (default: 90 % of MAX_CONNECTIONS)', () => {
  it('a flood from one address is refused beyond its share; another address is still served and the admin listener answers', async () => {
    // 50 idle connections from 127.0.0.2 against a cap of 40: 36 are its share.
    const flood = Array.from({ length: 50 }, () => open('', '127.0.0.2'));
    try {
      await waitFor('the flood refused beyond its share', async () => metric(await scrape(rt.admin), 'gateway_client_connections_refused_per_address_total') >= 14, { timeoutMs: 10_000 });
      const text = await scrape(rt.admin);
      expect(metric(text, 'gateway_client_connections_per_address_max')).toBe(36);
      expect(metric(text, 'gateway_client_connections_refused_total')).toBeGreaterThanOrEqual(14);
      // Flood connections still open (the guard may close idle ones under pressure, never more than it holds).
      expect(flood.filter((c) => !c.closed()).length).toBeLessThanOrEqual(36);
      // The well-behaved address gets answers while the flood holds its share.
      for (let i = 0; i < 5; i++) expect(await served('/shop/x')).toMatch(/^HTTP\/1\.1 200 [\s\S]*ran \/x$/);
    } finally {
      for (const c of flood) c.socket.destroy();
    }
  });
});

describe('per-API buffering switches, deployed through the controller', () => {
  it('upstream.buffering.responses false keeps a paused reader on plain backpressure; the default releases the upstream', async () => {
    const buffered = open('GET /shop/big HTTP/1.1\r\nHost: a\r\n\r\n', '127.0.0.1', false);
    const streamed = open('GET /stream/big HTTP/1.1\r\nHost: a\r\n\r\n', '127.0.0.1', false);
    try {
      // The default API buffers (memory, then disk) and its upstream finishes; the other holds its upstream back.
      await waitFor('the buffered response to be taken from the upstream', async () => {
        const text = await scrape(rt.admin);
        return metric(text, 'gateway_buffer_disk_bytes') > 0 && heldByBuffers(text) > 0;
      });
      await waitFor('both requests to reach the upstream', () => bigRequests === 2);
      await waitFor('the buffered one to be sent whole', () => bigFinished === 1);
      // The other is still held back a while later.
      await new Promise((r) => setTimeout(r, 500));
      expect(bigFinished).toBe(1);
      expect(upstreamOpen).toBeGreaterThanOrEqual(1);
      // Exactly one response buffered: /shop's (1 MiB of memory, the rest of its 32 MiB on
      // disk, and its spill's one 16 KiB read charged once all of it is in the file).
      // /stream's lagging connection is charged what it holds: what it queued (past Node's
      // 16 KiB high-water mark, at most one more 64 KiB upstream read) and its paused
      // upstream's read-ahead (64 KiB).
      const lagging = (t: string) => heldByBuffers(t) - 1024 * 1024 - 16 * 1024;
      await waitFor('the lagging connection charged, the spill down to its read', async () => {
        const held = lagging(await scrape(rt.admin));
        return held >= (16 + 64) * 1024 && held <= (16 + 64 + 64) * 1024;
      });
      const text = await scrape(rt.admin);
      // Each of the two open client connections is charged its footprint (BUFFER_CONNECTION_BYTES' default), in the total.
      expect(metric(text, 'gateway_buffer_memory_connection_bytes')).toBe(2 * 48 * 1024);
      // All of it on the response side: request bodies keep their share.
      expect(metric(text, 'gateway_buffer_memory_response_bytes')).toBe(metric(text, 'gateway_buffer_memory_bytes'));
      expect(metric(text, 'gateway_buffer_disk_bytes')).toBe(BIG.length);
    } finally {
      buffered.socket.destroy();
      streamed.socket.destroy();
    }
    await waitFor('the reservations to be given back', async () => {
      const t = await scrape(rt.admin);
      return metric(t, 'gateway_buffer_memory_bytes') === 0 && metric(t, 'gateway_buffer_disk_bytes') === 0;
    });
  });

  it('a value that is not a boolean is refused with its field path', async () => {
    const res = await putApi(ctl, 'bad', { name: 'bad', basePath: '/bad', upstream: { targets: [{ url: upstreamUrl }], buffering: { requests: 'no' } } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toContain('upstream.buffering.requests');
  });
});

describe('pipelined idempotent requests', () => {
  it('a connection that dies while a pipelined idempotent request waits gives back its reservation; its key runs when sent again', async () => {
    const post = (path: string, key: string, body: string, last = false) =>
      `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nIdempotency-Key: ${key}\r\nContent-Length: ${body.length}\r\n${last ? 'Connection: close\r\n' : ''}\r\n${body}`;
    const c = open(post('/pay/slow', 'it-first', '{"n":1}') + post('/pay/next', 'it-second', '{"n":2}'));
    await waitFor('both bodies reserved', async () => heldByBuffers(await scrape(rt.admin)) === 14);
    c.socket.destroy();
    await waitFor('the reservations to be given back', async () => metric(await scrape(rt.admin), 'gateway_buffer_memory_bytes') === 0);
    // The second never reached the upstream: its key is free, and it runs now.
    const again = open(post('/pay/next', 'it-second', '{"n":2}', true));
    await waitFor('answered', () => again.closed());
    expect(again.text()).toMatch(/^HTTP\/1\.1 200 /);
    expect(again.text()).toContain('ran /next');
    expect(posted.filter((b) => b === '{"n":2}')).toHaveLength(1);
  });
});

describe('lagging responses cut past the response side\'s share (BUFFER_SHED_MIN_LAG_MS)', () => {
  it('slow readers past 60 % of a 4 MiB budget are cut until it is back; counted and logged; the admin listener and small requests answer meanwhile', async () => {
    // Its own runtime: 4 MiB, so a few slow readers of 32 MiB pass the 2.4 MiB the cut holds the response side to
    // (two kept in memory, 1 MiB each; no disk, so the others stream, charged what they hold).
    // Last in this file: its /big requests would count in the buffering switches' spec.
    const small = await startRuntimeProcess({ id: 'rt-shed', controllers: ctl.grpc, env: { ...ENV, BUFFER_MEMORY_BYTES: String(4 * 1024 * 1024), BUFFER_CONNECTION_BYTES: '0', BUFFER_DISK_BYTES: '0' } });
    await waitRuntimeVersion(small, version);
    // Where the cut holds the response side: 60 % of the budget.
    const SHED_AT = Math.floor(4 * 1024 * 1024 * SHED_RESPONSE_SHARE);
    expect(SHED_RESPONSE_SHARE).toBe(0.6);
    const readers: Client[] = [];
    try {
      // Bounded: each slow reader is charged at least 16 KiB; 30 hold far more than 2.4 MiB.
      for (let i = 0; i < 30 && metric(await scrape(small.admin), 'gateway_buffer_memory_shed_total') === 0; i++) {
        readers.push(open('GET /shop/big HTTP/1.1\r\nHost: a\r\n\r\n', '127.0.0.1', false, small.proxyPort));
        expect(await served2(small.proxyPort, '/shop/x')).toMatch(/^HTTP\/1\.1 200 /);
      }
      await waitFor('a lagging response cut', async () => metric(await scrape(small.admin), 'gateway_buffer_memory_shed_total') >= 1, { timeoutMs: 10_000 });
      await waitFor('the response side back within 60 %', async () => metric(await scrape(small.admin), 'gateway_buffer_memory_response_bytes') <= SHED_AT, { timeoutMs: 10_000 });
      const text = await scrape(small.admin);
      expect(metric(text, 'gateway_buffer_memory_bytes')).toBeLessThanOrEqual(4 * 1024 * 1024);
      expect(await served2(small.proxyPort, '/shop/x')).toMatch(/^HTTP\/1\.1 200 /);
      const line = await waitFor('the cut logged', () => logRecords(small.proc).find((r) => r.msg === 'buffer memory: lagging responses cut'), { timeoutMs: 5_000 });
      expect(line.cut).toBeGreaterThanOrEqual(1);
      expect(line.shedAtBytes).toBe(SHED_AT);
    } finally {
      for (const r of readers) r.socket.destroy();
    }
  });
});

/** A small request on another runtime's proxy port, answered. */
async function served2(port: number, path: string): Promise<string> {
  const c = open(`GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, '127.0.0.1', true, port);
  await waitFor(`${path} answered`, () => c.closed());
  return c.text();
}
