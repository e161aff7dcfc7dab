// Shared state in Redis (issue 5): the policy libraries in front of a real upstream, two
// "runtimes" (two gateways, each with its own Redis connection) on one Redis that the
// test starts, kills, pauses and restarts on its own port.
import { Authenticator, hashApiKey, resolveCorsPolicy } from '@gw/auth';
import { testSigningKey } from '@gw/auth/testing';
import { IDEMPOTENCY_SCRIPTS } from '@gw/idempotency';
import { RATE_LIMIT_SCRIPTS, RateLimiter } from '@gw/rate-limit';
import { createRedis, type SharedRedis } from '@gw/shared-state';
import { policiesOf } from '@gw/api-schema/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { http, type HttpResult } from './support/http.js';
import { redisGuard, startPolicyGateway, type PolicyApi, type PolicyGateway } from './support/policy-gateway.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const DECISION_TIMEOUT_MS = 100;
// "No request waits longer than the timeout", with room for a loaded 2-core machine.
const REQUEST_BOUND_MS = DECISION_TIMEOUT_MS + 900;

let redis: PrivateRedis;
let upstream: RecordingUpstream;
const conns: SharedRedis[] = [];
const gateways: PolicyGateway[] = [];

async function runtimeRedis(): Promise<SharedRedis> {
  const conn = createRedis({ url: redis.url, scripts: { ...RATE_LIMIT_SCRIPTS, ...IDEMPOTENCY_SCRIPTS }, commandTimeoutMs: 500, reconnectMaxMs: 300, probeIntervalMs: 100 });
  conns.push(conn);
  expect(await conn.waitUntilAvailable(10_000)).toBe(true);
  return conn;
}

async function gateway(apis: PolicyApi[]): Promise<PolicyGateway> {
  const g = await startPolicyGateway(apis);
  gateways.push(g);
  return g;
}

async function timed(fn: () => Promise<HttpResult>): Promise<HttpResult & { ms: number }> {
  const t0 = performance.now();
  const r = await fn();
  return Object.assign(r, { ms: performance.now() - t0 });
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  upstream = await startRecordingUpstream('orders-upstream');
});
afterEach(async () => {
  redis.resume();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(conns.splice(0).map((c) => c.close()));
  if (!redis.pid) await redis.start();
  await redis.command('FLUSHALL');
  upstream.requests.length = 0;
});
afterAll(async () => {
  await upstream?.close();
  await redis?.destroy();
});

describe('idempotency keys across two runtimes', () => {
  it('20 concurrent identical POSTs with one key: exactly one reaches the upstream; the rest get 409 or the replay; a changed body gets 422', async () => {
    const apis = async () => [{ name: 'orders', basePath: '/orders', upstream: upstream.url, idempotency: redisGuard(await runtimeRedis()) }];
    const [a, b] = [await gateway(await apis()), await gateway(await apis())];
    const body = JSON.stringify({ item: 'book', qty: 1 });
    const headers = { 'content-type': 'application/json', 'idempotency-key': '"order-7f3a"' };

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => http('POST', `${(i % 2 ? a : b).url}/orders`, { headers, body })));
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({ method: 'POST', url: '/', body });
    const ok = results.filter((r) => r.status === 200);
    const inFlight = results.filter((r) => r.status === 409);
    expect(ok.length + inFlight.length).toBe(20);
    expect(inFlight.every((r) => r.json().code === 'GW_IDEMPOTENCY_IN_FLIGHT' && r.headers['retry-after'] === '1')).toBe(true);
    // Of the 200s, all but the original are replays, marked as such, with the same body.
    expect(ok.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(new Set(ok.map((r) => r.body)).size).toBe(1);

    // Once the first has completed, repeats through either runtime replay it.
    for (const g of [a, b]) {
      const again = await http('POST', `${g.url}/orders`, { headers, body });
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual({ upstream: 'orders-upstream', method: 'POST', url: '/' });
    }
    const changed = await http('POST', `${a.url}/orders`, { headers, body: JSON.stringify({ item: 'book', qty: 2 }) });
    expect(changed.status).toBe(422);
    expect(changed.json().code).toBe('GW_IDEMPOTENCY_KEY_REUSED');
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('one global rate limit across two runtimes', () => {
  it('accepts at most the limit (+ the refill during the run) across both, with 429, Retry-After and RateLimit headers', async () => {
    const policy = policiesOf({ rateLimits: [{ name: 'orders', limit: 10, windowMs: 60_000, key: { by: 'header', name: 'x-tenant' } }] }).rateLimits[0]!;
    const api = async (): Promise<PolicyApi[]> => [{ name: 'orders', basePath: '/orders', upstream: upstream.url, rateLimit: new RateLimiter(policy, { redis: await runtimeRedis() }) }];
    const [a, b] = [await gateway(await api()), await gateway(await api())];
    const t0 = Date.now();
    const results: HttpResult[] = [];
    for (let round = 0; round < 3; round++) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => http('GET', `${(i % 2 ? a : b).url}/orders/${round}-${i}`, { headers: { 'x-tenant': 'acme' } })))));
    }
    const slack = Math.ceil(((Date.now() - t0) * policy.limit) / policy.windowMs);
    const accepted = results.filter((r) => r.status === 200);
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    expect(accepted.length).toBeLessThanOrEqual(10 + slack);
    expect(upstream.requests).toHaveLength(accepted.length);
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBe(results.length - accepted.length);
    expect(limited[0]!.json().code).toBe('GW_RATE_LIMITED');
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.headers['ratelimit-policy']).toBe('"orders";q=10;w=60');
    expect(limited[0]!.headers['ratelimit']).toMatch(/^"orders";r=0;t=\d+$/);
    expect(accepted[0]!.headers['ratelimit']).toMatch(/^"orders";r=\d+;t=\d+$/);
    // Another tenant has its own budget.
    expect((await http('GET', `${a.url}/orders/x`, { headers: { 'x-tenant': 'globex' } })).status).toBe(200);
  });
});

describe('Redis failure is a policy', () => {
  async function failureGateway(): Promise<PolicyGateway> {
    const conn = await runtimeRedis();
    const limiter = (name: string, failureMode: 'open' | 'closed') =>
      new RateLimiter(policiesOf({ rateLimits: [{ name, limit: 3, windowMs: 60_000, failureMode }] }).rateLimits[0]!, { redis: conn, decisionTimeoutMs: DECISION_TIMEOUT_MS });
    return gateway([
      { name: 'open', basePath: '/open', upstream: upstream.url, rateLimit: limiter('open', 'open') },
      { name: 'closed', basePath: '/closed', upstream: upstream.url, rateLimit: limiter('closed', 'closed') },
      { name: 'pay', basePath: '/pay', upstream: upstream.url, idempotency: redisGuard(conn, { required: true }) },
    ]);
  }

  async function expectDegraded(g: PolicyGateway, tag: string): Promise<void> {
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await timed(() => http('GET', `${g.url}/open/${tag}`)));
    const closed = [];
    for (let i = 0; i < 3; i++) closed.push(await timed(() => http('GET', `${g.url}/closed/${tag}`)));
    const before = upstream.requests.filter((r) => r.method === 'POST').length;
    const pay = await timed(() => http('POST', `${g.url}/pay`, { headers: { 'idempotency-key': `k-${tag}` }, body: '{}' }));

    // Fail open: a local limiter of the same policy (a fresh count: 3, then 429).
    expect(open.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    // Fail closed: 503, never forwarded.
    expect(closed.every((r) => r.status === 503 && r.json().code === 'GW_RATE_LIMIT_UNAVAILABLE' && r.headers['retry-after'] === '1')).toBe(true);
    // Idempotency without Redis: refused, never run.
    expect(pay.status).toBe(503);
    expect(pay.json().code).toBe('GW_IDEMPOTENCY_UNAVAILABLE');
    expect(upstream.requests.filter((r) => r.method === 'POST').length).toBe(before);
    for (const r of [...open, ...closed, pay]) expect(r.ms).toBeLessThan(REQUEST_BOUND_MS);
  }

  async function expectRecovered(g: PolicyGateway, tag: string): Promise<void> {
    await waitFor('the fail-closed policy to answer from Redis again', async () => (await http('GET', `${g.url}/closed/${tag}`)).status === 200);
    expect((await http('POST', `${g.url}/pay`, { headers: { 'idempotency-key': `k-${tag}` }, body: '{}' })).status).toBe(200);
  }

  it('Redis killed: fail-open limits locally, fail-closed answers 503, idempotent POSTs are refused, each within the timeout; recovery is automatic', async () => {
    const g = await failureGateway();
    expect((await http('GET', `${g.url}/closed/warm`)).status).toBe(200);
    await redis.kill();
    await expectDegraded(g, 'killed');
    await redis.start();
    await expectRecovered(g, 'restarted');
  });

  it('Redis paused (SIGSTOP): the same, and no request waits past the timeout; recovery after SIGCONT', async () => {
    const g = await failureGateway();
    expect((await http('GET', `${g.url}/closed/warm`)).status).toBe(200);
    redis.pause();
    await expectDegraded(g, 'paused');
    redis.resume();
    await expectRecovered(g, 'resumed');
  });

  it('Redis paused with CLIENT PAUSE: the same bounded behaviour, and recovery when the pause ends', async () => {
    const g = await failureGateway();
    expect((await http('GET', `${g.url}/closed/warm`)).status).toBe(200);
    await redis.command('CLIENT', 'PAUSE', '3000', 'ALL');
    await expectDegraded(g, 'client-pause');
    await expectRecovered(g, 'unpaused');
  });
});

describe('authentication and CORS in front of the upstream', () => {
  it('API keys and JWTs name the consumer to the upstream; a client cannot spoof it; 401/403 carry the right answers', async () => {
    const jwtKey = testSigningKey('RS256', 'rs-1');
    const policies = policiesOf({
      auth: {
        apiKey: { keys: [{ sha256: hashApiKey('key-alice'), consumer: 'alice' }, { sha256: hashApiKey('key-bob'), consumer: 'bob' }] },
        jwt: { keys: [{ ...jwtKey.jwk }], audiences: ['orders'] },
        allowConsumers: ['alice', 'carol'],
      },
      cors: { allowOrigins: ['https://app.example.com'], allowHeaders: ['authorization', 'x-api-key'] },
    });
    const auth = new Authenticator('orders', policies.auth!);
    const cors = resolveCorsPolicy(policies.cors!);
    const g = await gateway([{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth, cors }]);

    const viaKey = await http('GET', `${g.url}/orders/1`, { headers: { 'x-api-key': 'key-alice', 'x-consumer-id': 'admin' } });
    expect(viaKey.status).toBe(200);
    const token = jwtKey.sign({ sub: 'carol', aud: 'orders', exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await http('GET', `${g.url}/orders/2`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(upstream.requests.map((r) => [r.headers['x-consumer-id'], r.headers['x-api-key']])).toEqual([
      ['alice', undefined],
      ['carol', undefined],
    ]);

    const anonymous = await http('GET', `${g.url}/orders/3`, { headers: { 'x-consumer-id': 'alice' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json().code).toBe('GW_AUTH_REQUIRED');
    expect(anonymous.headers['www-authenticate']).toContain('Bearer realm="orders"');
    const bad = await http('GET', `${g.url}/orders/3`, { headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="orders", error="invalid_token", error_description="bad signature"');
    const forbidden = await http('GET', `${g.url}/orders/3`, { headers: { 'x-api-key': 'key-bob' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json().code).toBe('GW_FORBIDDEN');

    const preflight = await http('OPTIONS', `${g.url}/orders/1`, { headers: { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-api-key' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-headers']).toBe('x-api-key');
    const refused = await http('OPTIONS', `${g.url}/orders/1`, { headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' } });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    // Preflights never reach the upstream.
    expect(upstream.requests).toHaveLength(2);
  });
});
