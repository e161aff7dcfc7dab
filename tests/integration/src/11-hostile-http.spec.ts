// Promise 11, safe at the edge: hostile HTTP sent byte for byte over raw TCP to a real
// runtime process gets a clear 4xx (or a closed connection), and never a surprise
// upstream request. Two counting upstreams sit behind `/public` and `/admin`, so a path
// trick that changes the API a request reaches shows up in what each one saw.
import { createTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCountingUpstream, type CountingUpstream } from './support/counting-upstream.js';
import {
  putApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { stopAll } from './support/processes.js';
import { rawExchange, rawHeader, rawJson, type RawReply } from './support/raw-http.js';

let db: { url: string; drop(): Promise<void> };
let ctl: ControllerProcess;
let rt: RuntimeProcess;
let pub: CountingUpstream;
let admin: CountingUpstream;
let port: number;

const LIMITS = {
  MAX_HEADER_BYTES: '4096',
  MAX_URL_BYTES: '1024',
  MAX_BODY_BYTES: '1000',
  HEADERS_TIMEOUT_MS: '500',
  REQUEST_TIMEOUT_MS: '1500',
};

beforeAll(async () => {
  db = await createTempDatabase();
  pub = await startCountingUpstream('public');
  admin = await startCountingUpstream('admin');
  ctl = await startControllerProcess({ id: 'ctl-edge', databaseUrl: db.url });
  await waitControllerReady(ctl);
  rt = await startRuntimeProcess({ id: 'rt-edge', controllers: ctl.grpc, env: LIMITS });
  port = rt.proxyPort;
  let version = 0;
  for (const [name, up] of [['public', pub], ['admin', admin]] as const) {
    const res = await putApi(ctl, name, { name, basePath: `/${name}`, upstream: { targets: [{ url: up.url }], retries: { attempts: 0 } } });
    expect(res.status, res.body).toBeLessThan(300);
    version = Math.max(version, res.json().configVersion);
  }
  await waitRuntimeVersion(rt, version);
});

afterAll(async () => {
  await stopAll();
  await pub?.close();
  await admin?.close();
  await db?.drop();
});

beforeEach(() => {
  for (const up of [pub, admin]) {
    up.started.length = 0;
    up.completed.length = 0;
    up.connections = 0;
  }
});

/** A request that never left the edge: the status, the runtime's JSON error, a closed connection. */
function expectRefused(reply: RawReply, status: number, code?: string): void {
  expect(reply.status, reply.text.slice(0, 300)).toBe(status);
  expect(reply.closedByServer, 'the runtime closes the connection after refusing').toBe(true);
  if (code !== undefined) {
    expect(rawHeader(reply, 'content-type')).toBe('application/json');
    expect(rawJson(reply)).toMatchObject({ code, requestId: expect.any(String) });
    expect(rawHeader(reply, 'x-request-id')).toBe(rawJson(reply).requestId);
  }
  expectNothingUpstream();
}

function expectNothingUpstream(): void {
  expect(pub.started.map((r) => `${r.method} ${r.url}`), 'public upstream').toEqual([]);
  expect(admin.started.map((r) => `${r.method} ${r.url}`), 'admin upstream').toEqual([]);
}

const get = (target: string, headers = 'Host: gw\r\n') => `GET ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`;

describe('hostile HTTP: request line and Host', () => {
  it('two Host headers → 400, and a request pipelined behind them is never parsed', async () => {
    const reply = await rawExchange(port, `GET /public/x HTTP/1.1\r\nHost: gw\r\nHost: evil\r\n\r\nGET /public/smuggled HTTP/1.1\r\nHost: gw\r\n\r\n`);
    expectRefused(reply, 400, 'GW_BAD_REQUEST');
    expect(reply.text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it('an invalid Host (a list, a path) → 400', async () => {
    expectRefused(await rawExchange(port, get('/public/x', 'Host: gw, evil\r\n')), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('/public/x', 'Host: evil/x\r\n')), 400, 'GW_BAD_REQUEST');
  });

  it('an absolute-form target → 400, whatever authority it names', async () => {
    expectRefused(await rawExchange(port, get(`http://127.0.0.1:${pub.port}/public/x`)), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('https://evil.example/admin/x')), 400, 'GW_BAD_REQUEST');
  });

  it('asterisk-form and authority-form targets → 400 (CONNECT → 405)', async () => {
    expectRefused(await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n'), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, `CONNECT 127.0.0.1:${pub.port} HTTP/1.1\r\nHost: 127.0.0.1:${pub.port}\r\n\r\n`), 405, 'GW_METHOD_NOT_ALLOWED');
  });

  it('a leading // never becomes an authority: it is a path, routed and forwarded as one', async () => {
    // Not under any base path: no route.
    const none = await rawExchange(port, get('//127.0.0.1/public/x'));
    expect(none.status).toBe(404);
    expect(rawJson(none).code).toBe('GW_NO_ROUTE');
    expectNothingUpstream();
    // Under /public: the upstream gets the path with its empty segment, and its own Host.
    const inner = await rawExchange(port, get('/public//evil.example/x'));
    expect(inner.status).toBe(200);
    expect(pub.completed.map((r) => [r.url, r.headers.host])).toEqual([['//evil.example/x', `127.0.0.1:${pub.port}`]]);
    expect(admin.started).toEqual([]);
  });

  it('HTTP/0.9-style and HTTP/2.0 request lines → 400', async () => {
    expectRefused(await rawExchange(port, 'GET /public/x\r\n\r\n'), 400);
    expectRefused(await rawExchange(port, 'GET /public/x HTTP/2.0\r\nHost: gw\r\n\r\n'), 400, 'GW_BAD_REQUEST');
  });

  it('an HTTP/1.1 request without Host → 400', async () => {
    expectRefused(await rawExchange(port, 'GET /public/x HTTP/1.1\r\n\r\n'), 400);
  });
});

describe('hostile HTTP: paths are normalized once, for routing and forwarding alike', () => {
  it('.. and %2e%2e resolve before routing: the API that matches is the one that receives the path', async () => {
    const plain = await rawExchange(port, get('/public/../admin/x'));
    expect(plain.status).toBe(200);
    const encoded = await rawExchange(port, get('/public/%2e%2e/admin/%2E/y'));
    expect(encoded.status).toBe(200);
    expect(admin.completed.map((r) => r.url)).toEqual(['/x', '/y']);
    expect(pub.started).toEqual([]);
  });

  it('.. climbing above / → 400', async () => {
    expectRefused(await rawExchange(port, get('/public/../../admin/x')), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('/public/%2e%2e/%2e%2e/etc/passwd')), 400, 'GW_BAD_REQUEST');
  });

  it('an encoded slash or backslash → 400 (an upstream that decodes it would see other segments)', async () => {
    expectRefused(await rawExchange(port, get('/public/..%2Fadmin/x')), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('/public/..%2fadmin')), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('/public/..%5Cadmin')), 400, 'GW_BAD_REQUEST');
  });

  it('a backslash, # or a dot segment with ;parameters → 400', async () => {
    expectRefused(await rawExchange(port, get('/public/..\\admin\\x')), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('/public/x#/../../admin')), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('/public/..;/admin/x')), 400, 'GW_BAD_REQUEST');
  });

  it('NUL, encoded (%00) or raw → 400', async () => {
    expectRefused(await rawExchange(port, get('/public/x%00.json')), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, get('/public/x\u0000y')), 400, 'GW_BAD_REQUEST');
  });

  it('broken percent-encoding → 400', async () => {
    expectRefused(await rawExchange(port, get('/public/%zz')), 400, 'GW_BAD_REQUEST');
  });

  it('encoded unreserved characters are decoded for both sides: /%70ublic/%41 reaches /public as /A', async () => {
    const reply = await rawExchange(port, get('/%70ublic/%41?q=%2F'));
    expect(reply.status).toBe(200);
    expect(pub.completed.map((r) => r.url)).toEqual(['/A?q=%2F']);
  });
});

describe('hostile HTTP: framing (request smuggling)', () => {
  const smuggled = 'GET /admin/smuggled HTTP/1.1\r\nHost: gw\r\n\r\n';
  const chunkedBody = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;

  it('Transfer-Encoding: identity, chunked (which Node accepts) → 400', async () => {
    expectRefused(await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: identity, chunked\r\n\r\n${chunkedBody}`), 400, 'GW_BAD_REQUEST');
  });

  it('Transfer-Encoding: gzip, chunked and a repeated Transfer-Encoding → 400', async () => {
    expectRefused(await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${chunkedBody}`), 400, 'GW_BAD_REQUEST');
    expectRefused(
      await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`),
      400,
      'GW_BAD_REQUEST',
    );
  });

  it('Transfer-Encoding on HTTP/1.0 → 400', async () => {
    expectRefused(await rawExchange(port, `POST /public/x HTTP/1.0\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`), 400, 'GW_BAD_REQUEST');
  });

  it('Transfer-Encoding with Content-Length, and two Content-Lengths → 400', async () => {
    expectRefused(await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd${smuggled}`), 400, 'GW_BAD_REQUEST');
  });

  it('a bad chunk size, bare LF line endings and obs-fold → 400', async () => {
    expectRefused(await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${smuggled}\r\n0\r\n\r\n`), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, 'GET /public/x HTTP/1.1\nHost: gw\n\n'), 400, 'GW_BAD_REQUEST');
    expectRefused(await rawExchange(port, 'GET /public/x HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n 2\r\n\r\n'), 400, 'GW_BAD_REQUEST');
  });

  it('a well-framed chunked body stays one request upstream, however it looks inside', async () => {
    const reply = await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`);
    expect(reply.status).toBe(200);
    expect(pub.completed.map((r) => [r.url, r.body])).toEqual([['/x', smuggled]]);
    expect(admin.started).toEqual([]);
  });

  it('Upgrade: h2c is never forwarded: served as a plain request without Upgrade', async () => {
    const reply = await rawExchange(
      port,
      'GET /public/x HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    );
    expect(reply.status).toBe(200);
    expect(pub.completed).toHaveLength(1);
    expect(pub.completed[0]!.headers.upgrade).toBeUndefined();
    expect(pub.completed[0]!.headers['http2-settings']).toBeUndefined();
  });
});

describe('hostile HTTP: size limits', () => {
  it('headers over MAX_HEADER_BYTES → 431', async () => {
    expectRefused(await rawExchange(port, get('/public/x', `Host: gw\r\nX-Big: ${'x'.repeat(5_000)}\r\n`)), 431, 'GW_HEADERS_TOO_LARGE');
    // Many small headers add up the same way.
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: vvvvv\r\n`).join('');
    expectRefused(await rawExchange(port, get('/public/x', `Host: gw\r\n${many}`)), 431, 'GW_HEADERS_TOO_LARGE');
  });

  it('a target over MAX_URL_BYTES → 414; one over MAX_HEADER_BYTES → 431', async () => {
    expectRefused(await rawExchange(port, get(`/public/${'a'.repeat(2_000)}`)), 414, 'GW_URI_TOO_LONG');
    expectRefused(await rawExchange(port, get(`/public/?q=${'a'.repeat(1_100)}`)), 414, 'GW_URI_TOO_LONG');
    expectRefused(await rawExchange(port, get(`/public/${'a'.repeat(6_000)}`)), 431, 'GW_HEADERS_TOO_LARGE');
  });

  it('a Content-Length over MAX_BODY_BYTES → 413 before anything is forwarded', async () => {
    expectRefused(await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 1001\r\n\r\n${'b'.repeat(200)}`), 413, 'GW_BODY_TOO_LARGE');
  });

  it('a chunked body over MAX_BODY_BYTES → 413, and the upstream never receives a complete request', async () => {
    const chunk = (n: number) => `${n.toString(16)}\r\n${'c'.repeat(n)}\r\n`;
    const reply = await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(700)}${chunk(700)}0\r\n\r\n`);
    expect(reply.status).toBe(413);
    expect(rawJson(reply).code).toBe('GW_BODY_TOO_LARGE');
    expect(reply.closedByServer).toBe(true);
    expect(pub.completed).toEqual([]);
    expect(admin.started).toEqual([]);
  });

  it('a body at the limit goes through', async () => {
    const reply = await rawExchange(port, `POST /public/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(1_000)}`);
    expect(reply.status).toBe(200);
    expect(pub.completed.map((r) => r.body.length)).toEqual([1_000]);
  });
});

describe('hostile HTTP: slow clients (slowloris)', () => {
  it('headers that trickle in past HEADERS_TIMEOUT_MS → 408 and the connection is closed', async () => {
    const started = Date.now();
    const pieces = ['GET /public/x HTTP/1.1\r\n', 'Host: gw\r\n', ...Array.from({ length: 40 }, () => 'X-Drip: 1\r\n')];
    const reply = await rawExchange(port, pieces, { gapMs: 100, timeoutMs: 8_000 });
    expectRefused(reply, 408, 'GW_REQUEST_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a body that trickles in past REQUEST_TIMEOUT_MS → 408 (the upstream never gets it complete)', async () => {
    const pieces = ['POST /public/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n', ...Array.from({ length: 60 }, () => 'b')];
    const reply = await rawExchange(port, pieces, { gapMs: 100, timeoutMs: 10_000 });
    // The upstream waits for the whole body before it answers, so the 408 is the only answer.
    expect(reply.closedByServer).toBe(true);
    expect(reply.status).toBe(408);
    expect(rawJson(reply).code).toBe('GW_REQUEST_TIMEOUT');
    expect(pub.completed).toEqual([]);
  });

  it('an idle connection that never sends a byte is closed too', async () => {
    const reply = await rawExchange(port, [], { timeoutMs: 8_000 });
    expect(reply.closedByServer).toBe(true);
  });
});

describe('hostile HTTP: hop-by-hop abuse and spoofed forwarding headers', () => {
  it('strips hop-by-hop headers and whatever Connection names, but never the framing', async () => {
    const reply = await rawExchange(
      port,
      'POST /public/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n' +
        'Connection: close, X-Api-Key, Content-Length, Host\r\nX-Api-Key: secret\r\nKeep-Alive: timeout=99\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Sum\r\nX-Kept: 1\r\n\r\nabc',
    );
    expect(reply.status).toBe(200);
    const h = pub.completed[0]!.headers;
    for (const name of ['x-api-key', 'keep-alive', 'proxy-connection', 'te', 'trailer']) expect(h[name], name).toBeUndefined();
    expect(h['x-kept']).toBe('1');
    expect(h['content-length']).toBe('3');
    expect(pub.completed[0]!.body).toBe('abc');
  });

  it('replaces client-sent X-Forwarded-*, Forwarded and X-Real-IP (TRUSTED_PROXY_HOPS=0)', async () => {
    const reply = await rawExchange(
      port,
      get(
        '/public/x',
        'Host: gw.example\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nForwarded: for=6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n',
      ),
    );
    expect(reply.status).toBe(200);
    const h = pub.completed[0]!.headers;
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('gw.example');
    expect(h.forwarded).toBeUndefined();
    expect(h['x-real-ip']).toBeUndefined();
    expect(h.host).toBe(`127.0.0.1:${pub.port}`);
  });

  it('replaces an invalid X-Request-Id and drops a malformed traceparent with its tracestate', async () => {
    const reply = await rawExchange(port, get('/public/x', 'Host: gw\r\nX-Request-Id: <script>\r\ntraceparent: 00-zz-zz-01\r\ntracestate: a=b\r\n'));
    expect(reply.status).toBe(200);
    const h = pub.completed[0]!.headers;
    expect(h['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(rawHeader(reply, 'x-request-id')).toBe(h['x-request-id']);
    expect(h.traceparent).toBeUndefined();
    expect(h.tracestate).toBeUndefined();
  });
});
