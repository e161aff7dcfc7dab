// Policies end to end (issue 5): API definitions with rate limits, idempotency keys,
// authentication and CORS go through the deploy API of a real controller (temp database),
// are compiled, streamed and enforced by two real runtime processes that share a Redis the
// test starts on its own port, kills, pauses and restarts.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { hashApiKey } from '@gw/auth';
import { signCompact, testSigningKey } from '@gw/auth/testing';
import { createTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, freePort, waitFor } from '@gw/test-kit';
import { http, type HttpResult } from './support/http.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startApp, stopAll, type AppProcess } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const TOKEN = 'test-admin-token-policies-0123';
const admin = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
// The Redis command timeout (500 ms, the longest any policy waits: an idempotency claim;
// a rate-limit decision waits 100 ms) plus room for a loaded 2-core machine.
const REQUEST_BOUND_MS = 500 + 1_000;
const ISSUER = 'https://idp.test/';
const ALICE_KEY = `ak_${randomBytes(16).toString('hex')}`;
const BOB_KEY = `ak_${randomBytes(16).toString('hex')}`;

interface Rt {
  proc: AppProcess;
  proxy: string;
  admin: string;
}

let db: { url: string; drop(): Promise<void> };
let redis: PrivateRedis;
let upstream: RecordingUpstream;
let slow: { url: string; requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[]; server: Server };
let jwks: JwksServer;
let controller: { proc: AppProcess; http: string; grpc: string };
const runtimes: Rt[] = [];
const rs1 = testSigningKey('RS256', 'k1');
const es2 = testSigningKey('ES256', 'k2');
const hs = testSigningKey('HS256', 'hs-1');
const HS_SECRET = hs.jwk.k!;

async function startRuntime(name: string, redisUrl: string | undefined): Promise<Rt> {
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const proc = startApp('runtime', name, {
    RUNTIME_ID: name,
    ZONE: 'a',
    CONTROLLER_ADDRESSES: controller.grpc,
    RUNTIME_HOST: '127.0.0.1',
    RUNTIME_ADMIN_HOST: '127.0.0.1',
    RUNTIME_HTTP_PORT: String(proxyPort),
    RUNTIME_ADMIN_PORT: String(adminPort),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  });
  return { proc, proxy: `http://127.0.0.1:${proxyPort}`, admin: `http://127.0.0.1:${adminPort}` };
}

async function deploy(name: string, policies: unknown, extra: Record<string, unknown> = {}, target = upstream.url): Promise<HttpResult> {
  const res = await http('PUT', `${controller.http}/v1/apis/${name}`, {
    headers: admin,
    body: JSON.stringify({ name, basePath: `/${name}`, upstream: { targets: [{ url: target }] }, policies, ...extra }),
  });
  expect(res.status, res.body).toBeLessThan(300);
  return res;
}

/** Waits until both runtimes run at least `version`. */
async function converge(version: number): Promise<void> {
  for (const r of runtimes) await waitFor(`${r.proc.name} at v${version}`, async () => ((await http('GET', `${r.admin}/config`)).json().version ?? -1) >= version, { timeoutMs: 30_000 });
}

async function timed(fn: () => Promise<HttpResult>): Promise<HttpResult & { ms: number }> {
  const t0 = performance.now();
  const r = await fn();
  return Object.assign(r, { ms: performance.now() - t0 });
}

const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  db = await createTempDatabase();
  redis = await startPrivateRedis();
  upstream = await startRecordingUpstream('policies-upstream');
  // A slow upstream: the first of concurrent idempotent POSTs is still in flight when the others arrive.
  const requests: typeof slow.requests = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      setTimeout(() => {
        const body = JSON.stringify({ order: requests.length, received: Buffer.concat(chunks).toString() });
        res.writeHead(201, { 'content-type': 'application/json', location: `/orders/${requests.length}` });
        res.end(body);
      }, 300);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  slow = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests, server };
  jwks = await startJwksServer([rs1.jwk]);

  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  controller = {
    proc: startApp('controller', 'controller-policies', {
      DATABASE_URL: db.url,
      CONTROLLER_ID: 'ctl-1',
      ZONE: 'a',
      CONTROLLER_HOST: '127.0.0.1',
      CONTROLLER_HTTP_PORT: String(httpPort),
      CONTROLLER_GRPC_PORT: String(grpcPort),
      ADMIN_TOKEN: TOKEN,
      CHANGE_FEED_POLL_MS: '1000',
    }),
    http: `http://127.0.0.1:${httpPort}`,
    grpc: `127.0.0.1:${grpcPort}`,
  };
  await waitFor('controller ready', () => http('GET', `${controller.http}/health/ready`).then((r) => r.status === 200), { timeoutMs: 30_000 });
  runtimes.push(await startRuntime('rt-policies-a', redis.url), await startRuntime('rt-policies-b', redis.url));

  await deploy('limited', { rateLimits: [{ name: 'global', limit: 10, windowMs: 60_000, key: { by: 'header', name: 'x-tenant' } }] });
  await deploy('open', { rateLimits: [{ name: 'open', limit: 3, windowMs: 60_000, key: { by: 'header', name: 'x-tag' }, failureMode: 'open' }] });
  await deploy('closed', { rateLimits: [{ name: 'closed', limit: 1_000, windowMs: 60_000, failureMode: 'closed' }] });
  await deploy('pay', { idempotency: { required: true } }, {}, slow.url);
  await deploy('jwt', { auth: { jwt: { jwksUrl: jwks.url, issuers: [ISSUER], audiences: ['orders'], algorithms: ['RS256', 'ES256'] } } });
  await deploy('hs', { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: HS_SECRET }], audiences: ['orders'] } } });
  await deploy('anon', {});
  const last = await deploy('keyed', {
    cors: { allowOrigins: ['https://app.example.com'], allowHeaders: ['x-api-key'], exposeHeaders: ['ratelimit'] },
    auth: { apiKey: { keys: [{ id: 'alice-1', sha256: hashApiKey(ALICE_KEY), consumer: 'alice' }, { id: 'bob-1', sha256: hashApiKey(BOB_KEY), consumer: 'bob' }] } },
  });
  await converge(last.json().configVersion);
}, 120_000);

afterAll(async () => {
  redis?.resume();
  await stopAll();
  await upstream?.close();
  if (slow) await closeServer(slow.server);
  await jwks?.close();
  await redis?.destroy();
  await db?.drop();
});

describe('shared state', () => {
  it('runtimes with REDIS_URL show it in /config; one without says so at start and in /config, and still enforces limits locally', async () => {
    for (const r of runtimes) {
      const cfg = (await http('GET', `${r.admin}/config`)).json();
      expect(cfg.sharedState).toEqual({ mode: 'redis', target: `redis 127.0.0.1:${redis.port}/0`, available: true, outages: 0 });
    }
    const version = (await http('GET', `${runtimes[0]!.admin}/config`)).json().version as number;
    const local = await startRuntime('rt-policies-local', undefined);
    try {
      await waitFor('the local runtime to apply the config', async () => ((await http('GET', `${local.admin}/config`)).json().version ?? -1) >= version, { timeoutMs: 30_000 });
      expect((await http('GET', `${local.admin}/config`)).json().sharedState).toEqual({ mode: 'local', target: null, available: null, outages: 0 });
      expect(local.proc.output()).toContain('no REDIS_URL: rate limits and idempotency keys are counted and kept per runtime');
      const t0 = Date.now();
      const results = [];
      for (let i = 0; i < 12; i++) results.push((await http('GET', `${local.proxy}/limited/x`, { headers: { 'x-tenant': 'local-only' } })).status);
      const slack = Math.ceil(((Date.now() - t0) * 10) / 60_000);
      expect(results.slice(0, 10)).toEqual(Array(10).fill(200));
      expect(results.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2 - slack);
    } finally {
      await local.proc.stop();
    }
  });
});

describe('one global rate limit across two runtimes', () => {
  it('accepts at most the limit (+ the refill during the run) across both, with 429, Retry-After and RateLimit headers', async () => {
    const before = upstream.requests.length;
    const t0 = Date.now();
    const results: HttpResult[] = [];
    for (let round = 0; round < 3; round++) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => http('GET', `${runtimes[i % 2]!.proxy}/limited/${round}-${i}`, { headers: { 'x-tenant': 'acme' } })))));
    }
    // Documented slack: GCRA refills limit/windowMs per ms while the run lasts (README, Policies).
    const slack = Math.ceil(((Date.now() - t0) * 10) / 60_000);
    const accepted = results.filter((r) => r.status === 200);
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    expect(accepted.length).toBeLessThanOrEqual(10 + slack);
    expect(upstream.requests.length - before).toBe(accepted.length);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(results.length - accepted.length);
    expect(limited[0]!.json().code).toBe('GW_RATE_LIMITED');
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.headers['ratelimit-policy']).toBe('"limited/global";q=10;w=60');
    expect(limited[0]!.headers['ratelimit']).toMatch(/^"limited\/global";r=0;t=\d+$/);
    expect(accepted[0]!.headers['ratelimit']).toMatch(/^"limited\/global";r=\d+;t=\d+$/);
    // Another tenant has its own budget, on either runtime.
    expect((await http('GET', `${runtimes[1]!.proxy}/limited/x`, { headers: { 'x-tenant': 'globex' } })).status).toBe(200);
    const metrics = (await http('GET', `${runtimes[0]!.admin}/metrics`)).body;
    expect(metrics).toMatch(/gateway_rate_limit_decisions_total\{api="limited",policy="limited\/global",outcome="limited",source="redis"\} [1-9]/);
  });
});

describe('idempotency keys across two runtimes', () => {
  it('20 concurrent identical POSTs with one key: exactly one reaches the upstream; the others get 409 or the replay; a changed body gets 422; no key gets 400', async () => {
    const body = JSON.stringify({ item: 'book', qty: 1 });
    const headers = { 'content-type': 'application/json', 'idempotency-key': '"order-7f3a"' };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => http('POST', `${runtimes[i % 2]!.proxy}/pay`, { headers, body })));
    expect(slow.requests).toHaveLength(1);
    expect(slow.requests[0]).toMatchObject({ method: 'POST', url: '/', body });
    const created = results.filter((r) => r.status === 201);
    const inFlight = results.filter((r) => r.status === 409);
    expect(created.length + inFlight.length).toBe(20);
    expect(inFlight.every((r) => r.json().code === 'GW_IDEMPOTENCY_IN_FLIGHT' && r.headers['retry-after'] === '1')).toBe(true);
    // Of the 201s, all but the original are replays, marked as such, with the same body and headers.
    expect(created.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(new Set(created.map((r) => r.body)).size).toBe(1);

    for (const r of runtimes) {
      // The first runtime stores the response once it has sent it (on 'finish'): a repeat
      // that arrives in between still finds the key in flight (409, Retry-After: 1).
      const again = await waitFor(`the replay from ${r.proxy}`, async () => {
        const res = await http('POST', `${r.proxy}/pay`, { headers, body });
        if (res.status === 409) return undefined;
        return res;
      }, { timeoutMs: 5_000 });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.headers['location']).toBe('/orders/1');
      expect(again.json()).toEqual({ order: 1, received: body });
    }
    const changed = await http('POST', `${runtimes[0]!.proxy}/pay`, { headers, body: JSON.stringify({ item: 'book', qty: 2 }) });
    expect(changed.status).toBe(422);
    expect(changed.json().code).toBe('GW_IDEMPOTENCY_KEY_REUSED');
    const missing = await http('POST', `${runtimes[1]!.proxy}/pay`, { headers: { 'content-type': 'application/json' }, body });
    expect(missing.status).toBe(400);
    expect(missing.json().code).toBe('GW_IDEMPOTENCY_KEY_MISSING');
    expect(slow.requests).toHaveLength(1);
  });
});

describe('authentication, CORS and the consumer identity', () => {
  it('JWT through a JWKS URL: valid, expired, wrong audience, wrong signature, alg none, then a key rotation', async () => {
    const claims = { sub: 'dave', iss: ISSUER, aud: 'orders', exp: now() + 300 };
    const rt = runtimes[0]!;
    const before = upstream.requests.length;
    const ok = await http('GET', `${rt.proxy}/jwt/me`, { headers: { ...bearer(rs1.sign(claims)), 'x-consumer-id': 'admin' } });
    expect(ok.status).toBe(200);
    expect(upstream.requests.at(-1)!.headers['x-consumer-id']).toBe('dave');

    const refused = async (token: string, reason: string) => {
      const r = await http('GET', `${rt.proxy}/jwt/me`, { headers: bearer(token) });
      expect(r.status).toBe(401);
      expect(r.json().code).toBe('GW_AUTH_INVALID');
      expect(r.headers['www-authenticate']).toBe(`Bearer realm="jwt", error="invalid_token", error_description="${reason}"`);
    };
    await refused(rs1.sign({ ...claims, exp: now() - 3600 }), 'token expired');
    await refused(rs1.sign({ ...claims, aud: 'billing' }), 'wrong audience');
    await refused(testSigningKey('RS256', 'k1').sign(claims), 'bad signature');
    await refused(signCompact({ alg: 'none', kid: 'k1', typ: 'JWT' }, claims, () => Buffer.alloc(0)), 'algorithm not allowed');
    const none = await http('GET', `${rt.proxy}/jwt/me`);
    expect(none.status).toBe(401);
    expect(none.json().code).toBe('GW_AUTH_REQUIRED');
    expect(upstream.requests.length - before).toBe(1);

    // Rotation: the provider now publishes only k2. A token signed with k2 makes the runtime
    // refetch (at most once per 10 s), and from then on k1 is gone.
    jwks.setKeys([es2.jwk]);
    const rotated = es2.sign({ ...claims, sub: 'erin' });
    await waitFor('the runtime to pick up the rotated key', async () => (await http('GET', `${rt.proxy}/jwt/me`, { headers: bearer(rotated) })).status === 200, { timeoutMs: 30_000, intervalMs: 500 });
    expect(upstream.requests.at(-1)!.headers['x-consumer-id']).toBe('erin');
    await refused(rs1.sign(claims), 'no key for this token');
  });

  it('API keys: valid, unknown, revoked by a redeploy; CORS preflights answered by the gateway; the consumer header cannot be spoofed', async () => {
    const [a, b] = runtimes as [Rt, Rt];
    const before = upstream.requests.length;
    for (const r of runtimes) {
      const res = await http('GET', `${r.proxy}/keyed/1`, { headers: { 'x-api-key': ALICE_KEY, 'x-consumer-id': 'root', origin: 'https://app.example.com' } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-expose-headers']).toBe('ratelimit');
    }
    expect((await http('GET', `${b.proxy}/keyed/2`, { headers: { 'x-api-key': BOB_KEY } })).status).toBe(200);
    const unknown = await http('GET', `${a.proxy}/keyed/3`, { headers: { 'x-api-key': 'ak_not-a-key' } });
    expect(unknown.status).toBe(401);
    expect(unknown.json().code).toBe('GW_AUTH_INVALID');
    expect(unknown.headers['www-authenticate']).toBe('ApiKey realm="keyed", header="x-api-key"');
    // An anonymous API strips the header too.
    expect((await http('GET', `${a.proxy}/anon/4`, { headers: { 'x-consumer-id': 'root' } })).status).toBe(200);
    expect(upstream.requests.slice(before).map((r) => [r.url, r.headers['x-consumer-id'], r.headers['x-api-key']])).toEqual([
      ['/1', 'alice', undefined],
      ['/1', 'alice', undefined],
      ['/2', 'bob', undefined],
      ['/4', undefined, undefined],
    ]);

    const preflight = { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-api-key' };
    const allowed = await http('OPTIONS', `${a.proxy}/keyed/1`, { headers: preflight });
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-headers']).toBe('x-api-key');
    const refused = await http('OPTIONS', `${a.proxy}/keyed/1`, { headers: { ...preflight, origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    expect(refused.json().code).toBe('GW_CORS_REJECTED');
    expect(upstream.requests.length - before).toBe(4);

    // Revoke bob's key: a redeploy without it.
    const v = (await deploy('keyed', { cors: { allowOrigins: ['https://app.example.com'] }, auth: { apiKey: { keys: [{ id: 'alice-1', sha256: hashApiKey(ALICE_KEY), consumer: 'alice' }] } } })).json().configVersion;
    await converge(v);
    for (const r of runtimes) {
      expect((await http('GET', `${r.proxy}/keyed/5`, { headers: { 'x-api-key': BOB_KEY } })).status).toBe(401);
      expect((await http('GET', `${r.proxy}/keyed/6`, { headers: { 'x-api-key': ALICE_KEY } })).status).toBe(200);
    }
    expect((await http('GET', `${a.admin}/metrics`)).body).toMatch(/gateway_auth_failures_total\{api="keyed",code="GW_AUTH_INVALID"\} [2-9]/);
  });

  it('never returns, logs or exposes a secret: HS256 secrets are masked by the deploy API, yet the runtimes verify with them', async () => {
    const put = await deploy('hs', { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: HS_SECRET }], audiences: ['orders'] } } }, { stripBasePath: false });
    const texts = [put.body, (await http('GET', `${controller.http}/v1/apis/hs`, { headers: admin })).body, (await http('GET', `${controller.http}/v1/apis`, { headers: admin })).body];
    for (const t of texts) {
      expect(t).not.toContain(HS_SECRET);
      expect(t).toContain('"k":"[REDACTED]"');
    }
    // The masked definition applies again unchanged (export → apply), keeping the secret.
    const exported = (await http('GET', `${controller.http}/v1/apis/hs`, { headers: admin })).json().api;
    const reapplied = await http('PUT', `${controller.http}/v1/apis/hs`, { headers: admin, body: JSON.stringify({ ...exported, stripBasePath: true }) });
    expect(reapplied.status).toBe(200);
    await converge(reapplied.json().configVersion);
    const token = hs.sign({ sub: 'frank', aud: 'orders', exp: now() + 60 });
    for (const r of runtimes) expect((await http('GET', `${r.proxy}/hs/x`, { headers: bearer(token) })).status).toBe(200);

    const exposed = [
      controller.proc.output(),
      ...runtimes.map((r) => r.proc.output()),
      ...(await Promise.all(runtimes.flatMap((r) => [http('GET', `${r.admin}/config`), http('GET', `${r.admin}/metrics`)]))).map((r) => r.body),
    ].join('\n');
    for (const secret of [HS_SECRET, ALICE_KEY, BOB_KEY, token]) expect(exposed).not.toContain(secret);
  });
});

describe('Redis failure is a policy (runtime processes)', () => {
  async function expectDegraded(rt: Rt, tag: string): Promise<void> {
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await timed(() => http('GET', `${rt.proxy}/open/x`, { headers: { 'x-tag': tag } })));
    const closed = [];
    for (let i = 0; i < 3; i++) closed.push(await timed(() => http('GET', `${rt.proxy}/closed/x`)));
    const before = slow.requests.length;
    const pay = await timed(() => http('POST', `${rt.proxy}/pay`, { headers: { 'idempotency-key': `k-${tag}` }, body: '{}' }));

    // Fail open: a local limiter of the same policy (a fresh count: 3, then 429).
    expect(open.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    // Fail closed: 503, never forwarded.
    for (const r of closed) {
      expect(r.status).toBe(503);
      expect(r.json().code).toBe('GW_RATE_LIMIT_UNAVAILABLE');
      expect(r.headers['retry-after']).toBe('1');
    }
    // An idempotent POST without Redis: refused, never run.
    expect(pay.status).toBe(503);
    expect(pay.json().code).toBe('GW_IDEMPOTENCY_UNAVAILABLE');
    expect(slow.requests.length).toBe(before);
    for (const r of [...open, ...closed, pay]) expect(r.ms).toBeLessThan(REQUEST_BOUND_MS);
  }

  async function expectRecovered(rt: Rt, tag: string): Promise<void> {
    await waitFor('the fail-closed limit to answer from Redis again', async () => (await http('GET', `${rt.proxy}/closed/x`)).status === 200, { timeoutMs: 30_000 });
    expect((await http('POST', `${rt.proxy}/pay`, { headers: { 'idempotency-key': `k-${tag}` }, body: '{}' })).status).toBe(201);
    await waitFor('/config to show Redis available', async () => (await http('GET', `${rt.admin}/config`)).json().sharedState.available === true);
  }

  it('Redis killed: fail-open limits locally, fail-closed answers 503, idempotent POSTs are refused, each within the timeout; recovery is automatic', async () => {
    const rt = runtimes[0]!;
    expect((await http('GET', `${rt.proxy}/closed/x`)).status).toBe(200);
    await redis.kill();
    await waitFor('/config to show Redis unavailable', async () => (await http('GET', `${rt.admin}/config`)).json().sharedState.available === false);
    await expectDegraded(rt, 'killed');
    await redis.start();
    await expectRecovered(rt, 'restarted');
    const metrics = (await http('GET', `${rt.admin}/metrics`)).body;
    expect(metrics).toMatch(/gateway_rate_limit_redis_failures_total\{api="open",policy="open\/open",failure_mode="open"\} [1-9]/);
    expect(metrics).toMatch(/gateway_rate_limit_redis_failures_total\{api="closed",policy="closed\/closed",failure_mode="closed"\} [1-9]/);
    expect(metrics).toMatch(/gateway_rate_limit_decisions_total\{api="open",policy="open\/open",outcome="allowed",source="fallback"\} [1-9]/);
    expect(metrics).toMatch(/gateway_idempotency_outcomes_total\{api="pay",outcome="unavailable"\} [1-9]/);
    expect(metrics).toMatch(/gateway_shared_state_outages_total [1-9]/);
    expect(metrics).toMatch(/gateway_shared_state_available 1/);
  });

  it('Redis paused (SIGSTOP): the same, and no request waits past the timeout; recovery after SIGCONT', async () => {
    const rt = runtimes[1]!;
    expect((await http('GET', `${rt.proxy}/closed/x`)).status).toBe(200);
    redis.pause();
    try {
      await expectDegraded(rt, 'paused');
    } finally {
      redis.resume();
    }
    await expectRecovered(rt, 'resumed');
  });
});
