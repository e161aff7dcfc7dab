// The policy phase over real sockets: the proxy handler over a runtime config whose policies
// were built from definitions normalized by the API schema (local state: no Redis), a
// recording upstream, clients over http.request and raw TCP.
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { hashApiKey } from '@gw/auth';
import { testSigningKey } from '@gw/auth/testing';
import type { ApiDefinition, ApiDefinitionInput } from '@gw/api-schema';
import { plainApi, policiesOf } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { RuntimeState } from '@gw/runtime-config';
import { testServices } from '@gw/runtime-config/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeGuard } from '../edge/edge-guard.js';
import { createProxyHandler } from '../proxy-handler.js';
import { closeServer, listenLocal } from '@gw/test-kit';

type PoliciesInput = NonNullable<ApiDefinitionInput['policies']>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function listen(server: Server): Promise<number> {
  const port = await listenLocal(server);
  cleanups.push(() => closeServer(server));
  return port;
}

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Records requests; answers 201 with a body naming the request, after `delayMs`. */
async function startUpstream(options: { delayMs?: number; bodyBytes?: number } = {}): Promise<{ url: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const body = options.bodyBytes ? 'x'.repeat(options.bodyBytes) : JSON.stringify({ n: requests.length, url: req.url });
      setTimeout(() => {
        // The upstream's own CORS answer, which a gateway CORS policy overrides (Vary is merged).
        res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes', 'set-cookie': ['a=1', 'b=2'], 'access-control-allow-origin': '*', vary: 'Accept-Encoding' });
        res.end(body);
      }, options.delayMs ?? 0);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** An API whose policies are what the schema makes of `policies` (as an operator writes them). */
function api(name: string, target: string, policies: PoliciesInput, over: Partial<ApiDefinition> = {}): ApiDefinition {
  return plainApi(name, `/${name}`, [target], { policies: policiesOf(policies), ...over });
}

/** A gateway over `apis`; `apply` swaps in another config the way the runtime does. */
async function gateway(apis: ApiDefinition[]): Promise<{ url: string; port: number; apply(apis: ApiDefinition[]): void }> {
  const state = new RuntimeState({ maxApis: 100, services: testServices() });
  let version = 0;
  const apply = (list: ApiDefinition[]) => {
    const verdict = state.apply(snapshotOf(list, ++version), 'controller');
    if (!verdict.ok) throw new Error(`${verdict.code}: ${verdict.message}`);
  };
  apply(apis);
  const proxy = createProxyHandler({ getConfig: state.getConfig, edge: new EdgeGuard({ maxBodyBytes: 1024 }) });
  const server = createServer((req, res) => proxy.handle(req, res));
  server.on('upgrade', (req, socket, head) => proxy.handleUpgrade(req, socket, head));
  cleanups.push(() => proxy.close());
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, apply };
}

interface Result {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function call(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

const code = (r: Result) => (JSON.parse(r.body) as { code: string }).code;

describe('policy phase: consumer identity and authentication', () => {
  it('strips a client-sent consumer header on every API, and sets it for an authenticated consumer only', async () => {
    const up = await startUpstream();
    const keys = [{ sha256: hashApiKey('key-alice'), consumer: 'alice' }];
    const g = await gateway([api('open', up.url, {}), api('keyed', up.url, { auth: { apiKey: { keys } } })]);
    expect((await call('GET', `${g.url}/open/x`, { 'x-consumer-id': 'admin' })).status).toBe(201);
    expect((await call('GET', `${g.url}/keyed/x`, { 'x-api-key': 'key-alice', 'x-consumer-id': 'admin' })).status).toBe(201);
    expect(up.requests.map((r) => [r.headers['x-consumer-id'], r.headers['x-api-key']])).toEqual([
      [undefined, undefined],
      ['alice', undefined],
    ]);
    const unknown = await call('GET', `${g.url}/keyed/x`, { 'x-api-key': 'key-mallory' });
    expect(unknown.status).toBe(401);
    expect(code(unknown)).toBe('GW_AUTH_INVALID');
    expect(unknown.headers['www-authenticate']).toBe('ApiKey realm="keyed", header="x-api-key"');
    expect(up.requests).toHaveLength(2);

    // A key in the query is removed from what the upstream receives; the rest of the query stays byte for byte.
    g.apply([api('q', up.url, { auth: { apiKey: { in: { query: 'api_key' }, keys } } })]);
    expect((await call('GET', `${g.url}/q/x?a=%2F1&api_key=key-alice&b`)).status).toBe(201);
    expect(up.requests[2]).toMatchObject({ url: '/x?a=%2F1&b', headers: { 'x-consumer-id': 'alice' } });
  });

  it('verifies JWTs, and refuses WebSocket handshakes without a credential before they reach the upstream', async () => {
    const up = await startUpstream();
    const key = testSigningKey('ES256', 'ec-1');
    const jwk = { kty: 'EC' as const, kid: 'ec-1', alg: 'ES256', use: 'sig', crv: 'P-256', x: key.jwk.x!, y: key.jwk.y! };
    const jwt = { keys: [jwk], audiences: ['orders'], algorithms: ['ES256' as const], clockSkewSec: 0, forward: false };
    const g = await gateway([api('orders', up.url, { auth: { jwt } })]);
    const token = key.sign({ sub: 'carol', aud: 'orders', exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await call('GET', `${g.url}/orders/1`, { authorization: `Bearer ${token}` })).status).toBe(201);
    expect(up.requests[0]!.headers).toMatchObject({ 'x-consumer-id': 'carol' });
    expect(up.requests[0]!.headers.authorization).toBeUndefined();
    const expired = await call('GET', `${g.url}/orders/1`, { authorization: `Bearer ${key.sign({ sub: 'carol', aud: 'orders', exp: 1 })}` });
    expect([expired.status, code(expired)]).toEqual([401, 'GW_AUTH_INVALID']);

    const socket = connect(g.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    socket.write('GET /orders/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text.toLowerCase()).toContain('www-authenticate: bearer realm="orders"');
    expect(text).toContain('"code":"GW_AUTH_REQUIRED"');
    expect(up.requests).toHaveLength(1);
  });
});

describe('policy phase: CORS and rate limits', () => {
  it('answers preflights itself (also on a path whose routes lack OPTIONS) and puts CORS headers on upstream answers', async () => {
    const up = await startUpstream();
    const cors = { allowOrigins: ['https://app.example'], allowMethods: ['DELETE', 'GET'], allowHeaders: ['x-api-key'], exposeHeaders: ['x-upstream'], maxAgeSec: 60 };
    const g = await gateway([api('orders', up.url, { cors }, { routes: [{ name: 'one', methods: ['GET', 'DELETE'], path: '/:id', rateLimits: [] }] }), api('any', up.url, { cors })]);
    const pre = { origin: 'https://app.example', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-api-key' };
    const ok = await call('OPTIONS', `${g.url}/orders/7`, pre);
    expect(ok.status).toBe(204);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example', 'access-control-allow-headers': 'x-api-key', 'access-control-max-age': '60' });
    const refused = await call('OPTIONS', `${g.url}/orders/7`, { ...pre, origin: 'https://evil.example' });
    expect([refused.status, code(refused)]).toEqual([403, 'GW_CORS_REJECTED']);
    // An API without routes routes OPTIONS like any method: the policy phase answers it.
    expect((await call('OPTIONS', `${g.url}/any/7`, pre)).headers['access-control-allow-methods']).toBe('DELETE, GET');
    expect((await call('OPTIONS', `${g.url}/any/7`, { ...pre, 'access-control-request-method': 'PATCH' })).status).toBe(403);
    const actual = await call('GET', `${g.url}/orders/7`, { origin: 'https://app.example' });
    expect(actual.status).toBe(201);
    expect(actual.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example', 'access-control-expose-headers': 'x-upstream', vary: 'Accept-Encoding, Origin', 'x-upstream': 'yes' });
    expect(up.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('limits per API and per route, with RateLimit headers on every answer and 429 + Retry-After past the limit', async () => {
    const up = await startUpstream();
    const limit = (name: string, n: number) => ({ name, limit: n, windowMs: 60_000, key: { by: 'header' as const, name: 'x-tenant' }, scope: 'local' as const });
    const createLimits = policiesOf({ rateLimits: [limit('create', 1)] }).rateLimits;
    const g = await gateway([
      api('orders', up.url, { rateLimits: [limit('api', 3)] }, { routes: [{ name: 'create', methods: ['POST'], path: '/', rateLimits: createLimits }, { name: 'read', methods: ['GET'], path: '/:id', rateLimits: [] }] }),
    ]);
    const t = { 'x-tenant': 'acme' };
    const first = await call('POST', `${g.url}/orders/`, t, '{}');
    expect(first.status).toBe(201);
    // Route limits count under <api>/<route>/<name>.
    expect(first.headers['ratelimit-policy']).toBe('"orders/api";q=3;w=60, "orders/create/create";q=1;w=60');
    const second = await call('POST', `${g.url}/orders/`, t, '{}');
    expect([second.status, code(second)]).toEqual([429, 'GW_RATE_LIMITED']);
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call('GET', `${g.url}/orders/1`, t)).status).toBe(201);
    const third = await call('GET', `${g.url}/orders/1`, t);
    expect(third.status).toBe(429);
    expect(third.headers['ratelimit']).toBe('"orders/api";r=0;t=60');
    expect((await call('GET', `${g.url}/orders/1`, { 'x-tenant': 'globex' })).status).toBe(201);
    expect(up.requests).toHaveLength(3);
  });

  it('keeps a limiter (and its count) across a redeploy that leaves it unchanged, and starts afresh when it changes', async () => {
    const up = await startUpstream();
    const limit = { name: 'api', limit: 1, windowMs: 60_000, scope: 'local' as const };
    const g = await gateway([api('orders', up.url, { rateLimits: [limit] })]);
    expect((await call('GET', `${g.url}/orders/1`)).status).toBe(201);
    g.apply([api('orders', up.url, { rateLimits: [limit] }, { stripBasePath: false })]);
    expect((await call('GET', `${g.url}/orders/1`)).status).toBe(429);
    g.apply([api('orders', up.url, { rateLimits: [{ ...limit, limit: 2 }] })]);
    expect((await call('GET', `${g.url}/orders/1`)).status).toBe(201);
  });
});

describe('policy phase: idempotency keys (memory store)', () => {
  // The lock outlives the upstream's total timeout of the schema's default upstream (60 s).
  const idempotency = (over: { required?: boolean } = {}) => ({ methods: ['PATCH' as const, 'POST' as const], ttlMs: 120_000, lockTtlMs: 61_000, maxResponseBytes: 1024, ...over });

  it('runs concurrent identical POSTs once: the others get 409 or the replay (marked); the body reaches the upstream intact', async () => {
    const up = await startUpstream({ delayMs: 100 });
    const g = await gateway([api('pay', up.url, { idempotency: idempotency() })]);
    const body = JSON.stringify({ amount: 42 });
    const headers = { 'idempotency-key': 'k-1', 'content-type': 'application/json' };
    const results = await Promise.all(Array.from({ length: 8 }, () => call('POST', `${g.url}/pay`, headers, body)));
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]!.body).toBe(body);
    expect(results.every((r) => r.status === 201 || (r.status === 409 && code(r) === 'GW_IDEMPOTENCY_IN_FLIGHT'))).toBe(true);
    const replay = await call('POST', `${g.url}/pay`, headers, body);
    expect(replay.status).toBe(201);
    expect(replay.headers).toMatchObject({ 'idempotent-replayed': 'true', 'x-upstream': 'yes', 'set-cookie': ['a=1', 'b=2'] });
    expect(replay.body).toBe(results.find((r) => r.status === 201)!.body);
    const changed = await call('POST', `${g.url}/pay`, headers, JSON.stringify({ amount: 43 }));
    expect([changed.status, code(changed)]).toEqual([422, 'GW_IDEMPOTENCY_KEY_REUSED']);
    expect(up.requests).toHaveLength(1);
  });

  it('answers 400 to a covered request without a key when one is required, and passes other methods', async () => {
    const up = await startUpstream();
    const g = await gateway([api('pay', up.url, { idempotency: idempotency({ required: true }) })]);
    const missing = await call('POST', `${g.url}/pay`, {}, 'x');
    expect([missing.status, code(missing)]).toEqual([400, 'GW_IDEMPOTENCY_KEY_MISSING']);
    expect((await call('PUT', `${g.url}/pay`, {}, 'x')).status).toBe(201);
    expect(up.requests.map((r) => [r.method, r.body])).toEqual([['PUT', 'x']]);
  });

  it('keeps only the status of a response over the cap: a repeat gets 409 GW_IDEMPOTENCY_RESPONSE_NOT_STORED, not a second run', async () => {
    const up = await startUpstream({ bodyBytes: 2048 });
    const g = await gateway([api('pay', up.url, { idempotency: idempotency() })]);
    const h = { 'idempotency-key': 'big' };
    expect((await call('POST', `${g.url}/pay`, h, 'a')).body).toHaveLength(2048);
    const repeat = await call('POST', `${g.url}/pay`, h, 'a');
    expect([repeat.status, code(repeat)]).toEqual([409, 'GW_IDEMPOTENCY_RESPONSE_NOT_STORED']);
    expect(up.requests).toHaveLength(1);
  });

  it('releases the claim when the request never reached an upstream, so the same key runs once it is back', async () => {
    const up = await startUpstream();
    // A port nothing listens on: connect refused, so the body was never sent.
    const dead = createServer();
    const deadPort = await listen(dead);
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const down = api('pay', `http://127.0.0.1:${deadPort}`, { idempotency: idempotency() });
    const g = await gateway([down]);
    const h = { 'idempotency-key': 'retry-me' };
    const failed = await call('POST', `${g.url}/pay`, h, 'payload');
    expect([failed.status, code(failed)]).toEqual([502, 'GW_UPSTREAM_UNREACHABLE']);
    g.apply([api('pay', up.url, { idempotency: idempotency() })]);
    const ran = await call('POST', `${g.url}/pay`, h, 'payload');
    expect(ran.status).toBe(201);
    expect(ran.headers['idempotent-replayed']).toBeUndefined();
    expect(up.requests.map((r) => r.body)).toEqual(['payload']);
  });
});
