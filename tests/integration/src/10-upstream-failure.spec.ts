// Promise 7 end to end: upstream failure is absorbed. A controller and a runtime process
// on a real database; upstream targets as processes of their own (killed with SIGKILL
// and restarted on the same port) or as servers in this process that the test scripts;
// a blackholed target made from a listener nobody accepts on (no packet leaves the
// machine). Every wait is on a condition, every load loop bounded in count and time.
import { createTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@gw/test-kit';
import { startBlackhole, type Blackhole } from './support/blackhole.js';
import { putApi, startControllerProcess, startRuntimeProcess, waitControllerReady, waitRuntimeVersion, withOutput, logRecords, type ControllerProcess, type RuntimeProcess } from './support/gateway-processes.js';
import { http, type HttpResult } from './support/http.js';
import { startLoadLoop } from './support/load-loop.js';
import { stopAll } from './support/processes.js';
import { answerOk, startScriptedUpstream, type ScriptedUpstream } from './support/scripted-upstream.js';
import { startTargetProcess, stopAllTargets, type TargetProcess } from './support/target-process.js';

let db: { url: string; drop(): Promise<void> };
let ctl: ControllerProcess;
let rt: RuntimeProcess;
const closers: (() => Promise<void>)[] = [];

/** Deploys an API and waits until the runtime runs it. */
async function deploy(definition: Record<string, unknown>): Promise<void> {
  const res = await putApi(ctl, String(definition['name']), definition);
  expect(res.status, res.body).toBeLessThan(300);
  await waitRuntimeVersion(rt, res.json().configVersion);
}

/** One request through the runtime, with how long it took. */
async function timed(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult & { ms: number }> {
  const started = performance.now();
  const res = await http(method, `${rt.proxy}${path}`, { ...options, timeoutMs: 15_000 });
  return Object.assign(res, { ms: performance.now() - started });
}

async function scripted(name: string, script = answerOk): Promise<ScriptedUpstream> {
  const up = await startScriptedUpstream(name, script);
  closers.push(() => up.close());
  return up;
}

async function runtimeZone(): Promise<{ zone: string }> {
  return (await http('GET', `${rt.admin}/config`)).json();
}

/** A port that was free a moment ago: connections to it are refused. */
async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** Features a test does not exercise are switched off, so each test shows one thing. */
const QUIET = { outlierDetection: null, circuitBreaker: null } as const;

beforeAll(async () => {
  db = await createTempDatabase();
  ctl = await startControllerProcess({ id: 'ctl-upstreams', databaseUrl: db.url });
  await waitControllerReady(ctl);
  rt = await startRuntimeProcess({ id: 'rt-upstreams', controllers: ctl.grpc, zone: 'a', env: { LOG_LEVEL: 'info' } });
});

afterAll(async () => {
  await stopAll();
  await stopAllTargets();
  for (const close of closers.splice(0)) await close();
  await db?.drop();
});

/** Steady load whose 200s are counted by the target that answered (the upstream's `upstream` field). */
function loadCountingTargets(options: Omit<Parameters<typeof startLoadLoop>[0], 'ok'>): { load: ReturnType<typeof startLoadLoop>; served: Record<string, number> } {
  const served: Record<string, number> = {};
  const load = startLoadLoop({
    ...options,
    ok: (status, body) => {
      if (status !== 200) return false;
      const who = JSON.parse(body).upstream as string;
      served[who] = (served[who] ?? 0) + 1;
      return true;
    },
  });
  return { load, served };
}

describe('upstream failure is absorbed', () => {
  it('one of three targets killed under steady GET traffic: no client sees an error; it is ejected and comes back when healthy', async () => {
    const targets: TargetProcess[] = [await startTargetProcess('t1'), await startTargetProcess('t2'), await startTargetProcess('t3')];
    await deploy({
      name: 'steady',
      basePath: '/steady',
      upstream: {
        targets: targets.map((t) => ({ url: t.url })),
        healthCheck: { path: '/health', intervalMs: 200, timeoutMs: 150, healthyThreshold: 2, unhealthyThreshold: 2 },
        outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 1_000, maxEjectionMs: 10_000, maxEjectionPercent: 50 },
        // Retries and their budget are the defaults (issue 14: the defaults absorb a dying target).
        circuitBreaker: null,
      },
    });
    const { load, served } = loadCountingTargets({ url: (n) => `${rt.proxy}/steady/item/${n}`, concurrency: 8, pauseMs: 5, maxRequests: 40_000, maxMs: 90_000 });
    try {
      await waitFor('traffic on every target', () => ['t1', 't2', 't3'].every((t) => (served[t] ?? 0) >= 20), { timeoutMs: 30_000 });
      const t2 = targets[1]!;
      await t2.kill9();
      const afterKill = load.ok;
      // The dead target is taken out: by outlier detection (refused connections) and by its failing health checks.
      await withOutput(
        rt.proc,
        waitFor('t2 out of rotation', () =>
          logRecords(rt.proc).some((r) => r.target === t2.url && (r.event === 'ejected' || r.event === 'unhealthy')),
        ),
      );
      await withOutput(rt.proc, waitFor('t2 unhealthy by active checks', () => logRecords(rt.proc).some((r) => r.target === t2.url && r.event === 'unhealthy')));
      await waitFor('traffic continues without t2', () => load.ok >= afterKill + 300, { timeoutMs: 30_000 });
      const servedByT2WhileDead = served['t2'];

      // Back on the same port: health checks pass twice and t2 takes traffic again.
      targets[1] = await startTargetProcess('t2', t2.port);
      await withOutput(rt.proc, waitFor('t2 healthy again', () => logRecords(rt.proc).some((r) => r.target === t2.url && r.event === 'healthy')));
      await waitFor('t2 serving again', () => (served['t2'] ?? 0) >= (servedByT2WhileDead ?? 0) + 20, { timeoutMs: 30_000 });
    } finally {
      const result = await load.stop();
      expect(result.failures, JSON.stringify(result.failures)).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.ok).toBeGreaterThan(500);
    }
    // Logged and exported.
    const metrics = (await http('GET', `${rt.admin}/metrics`)).body;
    const t2url = targets[1]!.url;
    expect(metrics).toMatch(new RegExp(`gateway_upstream_health_transitions_total\\{api="steady",target="${t2url.replace(/[.]/g, '\\.')}",event="unhealthy",reason="active-check"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`gateway_upstream_health_transitions_total\\{api="steady",target="${t2url.replace(/[.]/g, '\\.')}",event="healthy",reason="active-check"\\} [1-9]`));
    expect(metrics).toMatch(/gateway_upstream_targets\{api="steady",state="healthy"\} 3/);
    expect(metrics).toMatch(/gateway_upstream_retries_total\{api="steady",reason="(connect-failure|reset)"\} [1-9]/);
    const warnings = logRecords(rt.proc).filter((r) => r.target === t2url && (r.msg === 'upstream target ejected' || r.msg === 'upstream target unhealthy'));
    expect(warnings.every((r) => r.level === 'warn')).toBe(true);
  });

  // Issue 14: the smallest definition (no retries, health checks or outlier settings of
  // its own) under 8 and under 64 concurrent keep-alive clients; one of three targets is
  // SIGKILLed. The requests in flight on it, and those sent to it until outlier detection
  // ejects it, fail at once and are retried on the others within the default budget
  // (retries in flight ≤ max(3, 20 % of requests in flight)).
  it.each([8, 64])('the smallest definition, %i keep-alive clients, a target SIGKILLed: zero client-visible errors', async (clients) => {
    const names = [`d${clients}-1`, `d${clients}-2`, `d${clients}-3`];
    const targets: TargetProcess[] = [];
    for (const name of names) targets.push(await startTargetProcess(name));
    const name = `defaults-${clients}`;
    await deploy({ name, basePath: `/${name}`, upstream: { targets: targets.map((t) => ({ url: t.url })) } });
    const { load, served } = loadCountingTargets({ url: (n) => `${rt.proxy}/${name}/item/${n}`, concurrency: clients, pauseMs: 2, maxRequests: 60_000, maxMs: 90_000 });
    let killedAt = 0;
    try {
      await waitFor('traffic on every target', () => names.every((t) => (served[t] ?? 0) >= 50), { timeoutMs: 30_000 });
      await targets[1]!.kill9();
      killedAt = load.ok;
      await waitFor('steady traffic after the kill', () => load.ok >= killedAt + 3_000 || load.failed > 0, { timeoutMs: 45_000 });
    } finally {
      const result = await load.stop();
      const retryLines = (await http('GET', `${rt.admin}/metrics`)).body.split('\n').filter((l) => l.includes(`api="${name}"`) && l.includes('retr'));
      expect(result.failures, `${JSON.stringify(result.failures)}\n${retryLines.join('\n')}`).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.ok).toBeGreaterThan(killedAt);
    }
    const metrics = (await http('GET', `${rt.admin}/metrics`)).body;
    expect(metrics).toMatch(new RegExp(`gateway_upstream_retries_total\\{api="${name}",reason="(connect-failure|reset)"\\} [1-9]`));
  });

  it('a blackholed target: 502 within connectMs, and retried on another target', async () => {
    const hole: Blackhole = await startBlackhole();
    closers.push(() => hole.close());
    const live = await scripted('live');
    const upstream = (attempts: number) => ({
      targets: [{ url: hole.url }, { url: live.url }],
      timeouts: { connectMs: 300, requestMs: 5_000, totalMs: 10_000 },
      retries: { attempts, backoffBaseMs: 1, backoffMaxMs: 2 },
      ...QUIET,
    });
    await deploy({ name: 'bh-once', basePath: '/bh-once', upstream: upstream(0) });
    await deploy({ name: 'bh-retry', basePath: '/bh-retry', upstream: upstream(2) });

    // Without retries, round robin alternates: every other request meets the blackhole.
    const once = [await timed('GET', '/bh-once/a'), await timed('GET', '/bh-once/b')];
    const refused = once.find((r) => r.status === 502)!;
    expect(once.map((r) => r.status).sort()).toEqual([200, 502]);
    expect(refused.json()).toMatchObject({ code: 'GW_UPSTREAM_UNREACHABLE', message: 'the upstream did not accept the connection in time' });
    expect(refused.ms).toBeGreaterThanOrEqual(280);
    expect(refused.ms).toBeLessThan(3_000);

    // With retries, the try that hangs in connect moves on to the live target: all 200.
    const before = live.requests.length;
    const retried = [];
    for (let i = 0; i < 4; i++) retried.push(await timed('GET', `/bh-retry/${i}`));
    expect(retried.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(live.requests.length - before).toBe(4);
    // Two of them paid one connect timeout each, never more.
    const slow = retried.filter((r) => r.ms >= 280);
    expect(slow).toHaveLength(2);
    for (const r of slow) expect(r.ms).toBeLessThan(3_000);
  });

  it('a slow target: 504 within the per-try timeout, tries bounded by attempts + 1 and by totalMs', async () => {
    const slow = await scripted('slow', () => undefined); // accepts, reads, never answers
    await deploy({
      name: 'slow',
      basePath: '/slow',
      upstream: {
        targets: [{ url: slow.url }],
        timeouts: { connectMs: 1_000, requestMs: 300, totalMs: 5_000 },
        retries: { attempts: 2, on: ['timeout', '503'], backoffBaseMs: 1, backoffMaxMs: 2 },
        ...QUIET,
      },
    });
    await deploy({
      name: 'slow-total',
      basePath: '/slow-total',
      upstream: {
        targets: [{ url: slow.url }],
        timeouts: { connectMs: 1_000, requestMs: 300, totalMs: 450 },
        retries: { attempts: 5, on: ['timeout'], backoffBaseMs: 1, backoffMaxMs: 2 },
        ...QUIET,
      },
    });
    const tries = await timed('GET', '/slow/x');
    expect(tries.status).toBe(504);
    expect(tries.json()).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
    expect(slow.requests.filter((r) => r.url === '/x')).toHaveLength(3);
    expect(tries.ms).toBeGreaterThanOrEqual(3 * 300 - 30);
    expect(tries.ms).toBeLessThan(5_000);

    const total = await timed('GET', '/slow-total/y');
    expect(total.status).toBe(504);
    // 300 ms for the first try, what is left of 450 ms for the second, then nothing.
    expect(slow.requests.filter((r) => r.url === '/y')).toHaveLength(2);
    expect(total.ms).toBeGreaterThanOrEqual(430);
    expect(total.ms).toBeLessThan(2_000);
    for (const r of slow.requests) r.res.destroy();
  });

  it('the breaker caps the concurrency the upstream sees and answers 503 GW_CIRCUIT_OPEN at once beyond it', async () => {
    const held = await scripted('held', () => undefined); // keeps every request open until the test answers
    await deploy({
      name: 'capped',
      basePath: '/capped',
      upstream: {
        targets: [{ url: held.url }],
        circuitBreaker: { maxConcurrent: 3, maxPending: 0 },
        outlierDetection: null,
      },
    });
    const replies = Array.from({ length: 10 }, (_, i) => timed('GET', `/capped/${i}`));
    await waitFor('three requests at the upstream', () => held.requests.length === 3);
    const refused: (HttpResult & { ms: number })[] = [];
    for (const r of replies) void r.then((x) => x.status === 503 && refused.push(x));
    // The seven others are answered while the three are still held: at once, not after a timeout.
    await waitFor('seven refusals', () => refused.length === 7, { timeoutMs: 10_000 });
    expect(held.inFlight).toBe(3);
    for (const r of refused) expect(r.json()).toMatchObject({ code: 'GW_CIRCUIT_OPEN', requestId: expect.any(String) });
    for (const r of held.requests) answerOk(r, held);
    const statuses = (await Promise.all(replies)).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(held.maxInFlight).toBe(3);
    expect(held.requests).toHaveLength(3);
    // The slots came back.
    held.script = answerOk;
    expect((await timed('GET', '/capped/after')).status).toBe(200);
    // Every answer is counted per API and status in the runtime's request metrics.
    const metrics = (await http('GET', `${rt.admin}/metrics`)).body;
    expect(metrics).toMatch(/^gateway_http_requests_total\{api="capped",code="200"\} 4$/m);
    expect(metrics).toMatch(/^gateway_http_requests_total\{api="capped",code="503"\} 7$/m);
    expect(metrics).toMatch(/^gateway_http_request_duration_seconds_count\{api="capped"\} 11$/m);
  });

  it('retries never repeat a POST without an Idempotency-Key, and do retry one with it (before its body is read)', async () => {
    const sick = await scripted('sick', (r) => r.res.writeHead(503, { 'content-type': 'text/plain' }).end('busy'));
    const live = await scripted('live');
    const dead = await deadUrl();
    await deploy({
      name: 'orders-sick',
      basePath: '/orders-sick',
      upstream: { targets: [{ url: sick.url }, { url: live.url }], retries: { attempts: 2, backoffBaseMs: 1, backoffMaxMs: 2 }, ...QUIET },
    });
    await deploy({
      name: 'orders-dead',
      basePath: '/orders-dead',
      upstream: { targets: [{ url: dead }, { url: live.url }], retries: { attempts: 2, backoffBaseMs: 1, backoffMaxMs: 2 }, ...QUIET },
    });
    const json = { 'content-type': 'application/json' };

    // Without a key: whatever fails, the upstream sees the POST exactly once.
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await timed('POST', '/orders-sick/orders', { headers: json, body: `{"n":${i}}` }));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 503, 503]);
    expect(sick.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(live.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    const refusedPosts = [];
    for (let i = 0; i < 2; i++) refusedPosts.push((await timed('POST', '/orders-dead/orders', { headers: json, body: `{"m":${i}}` })).status);
    expect(refusedPosts.sort()).toEqual([200, 502]);
    expect(live.requests.filter((r) => r.method === 'POST')).toHaveLength(3);

    // With a key, a refused connection read nothing of the body: retried, the body arrives whole, once.
    const body = JSON.stringify({ order: 'x'.repeat(50_000) });
    live.requests.length = 0;
    for (let i = 0; i < 2; i++) {
      const r = await timed('POST', '/orders-dead/orders', { headers: { ...json, 'idempotency-key': `key-${i}` }, body });
      expect(r.status).toBe(200);
    }
    expect(live.requests.map((r) => [r.headers['idempotency-key'], r.body === body])).toEqual([
      ['key-0', true],
      ['key-1', true],
    ]);

    // With a key and no body, a 503 is retried on the other target.
    sick.requests.length = 0;
    live.requests.length = 0;
    for (let i = 0; i < 2; i++) {
      const r = await timed('POST', '/orders-sick/orders', { headers: { 'idempotency-key': `empty-${i}` } });
      expect(r.status).toBe(200);
    }
    expect(sick.requests).toHaveLength(1);
    expect(live.requests).toHaveLength(2);

    // With a key but a body the sick target already read: never sent again.
    sick.requests.length = 0;
    live.requests.length = 0;
    const read = [];
    for (let i = 0; i < 2; i++) read.push((await timed('POST', '/orders-sick/orders', { headers: { ...json, 'idempotency-key': `read-${i}` }, body: '{"a":1}' })).status);
    expect(read.sort()).toEqual([200, 503]);
    expect(sick.requests.length + live.requests.length).toBe(2);
  });

  it("prefers healthy targets in the runtime's ZONE and spills over to other zones when too few are healthy", async () => {
    let localHealthy = true;
    const zoneScript = (name: string) => (r: Parameters<typeof answerOk>[0], up: ScriptedUpstream) => {
      if (r.url !== '/health') return answerOk(r, up);
      r.res.writeHead(name === 'zone-a' && !localHealthy ? 503 : 200).end();
    };
    const local = await scripted('zone-a', zoneScript('zone-a'));
    const remote = await scripted('zone-b', zoneScript('zone-b'));
    await deploy({
      name: 'zoned',
      basePath: '/zoned',
      upstream: {
        targets: [
          { url: remote.url, zone: 'b' },
          { url: local.url, zone: 'a' },
        ],
        loadBalancing: { zoneAware: true, minZoneHealthyPercent: 70 },
        healthCheck: { path: '/health', intervalMs: 100, timeoutMs: 100, healthyThreshold: 1, unhealthyThreshold: 1 },
        ...QUIET,
      },
    });
    const who = async () => (await timed('GET', '/zoned/x')).json().upstream as string;
    for (let i = 0; i < 6; i++) expect(await who()).toBe('zone-a');
    localHealthy = false;
    await withOutput(rt.proc, waitFor('zone-a unhealthy', () => logRecords(rt.proc).some((r) => r.target === local.url && r.event === 'unhealthy')));
    for (let i = 0; i < 6; i++) expect(await who()).toBe('zone-b');
    localHealthy = true;
    await withOutput(rt.proc, waitFor('zone-a healthy', () => logRecords(rt.proc).some((r) => r.target === local.url && r.event === 'healthy')));
    for (let i = 0; i < 6; i++) expect(await who()).toBe('zone-a');
    expect((await runtimeZone()).zone).toBe('a');
  });

  it('the retry budget caps retries under a storm: retries in flight never pass max(minRetryConcurrency, 20 % of requests in flight)', async () => {
    const storm = await scripted('storm', () => undefined); // every try held, then answered by the test
    await deploy({
      name: 'storm',
      basePath: '/storm',
      upstream: {
        targets: [{ url: storm.url }],
        retries: { attempts: 2, backoffBaseMs: 1, backoffMaxMs: 2, budgetPercent: 20, minRetryConcurrency: 1 },
        ...QUIET,
      },
    });
    const n = 30;
    let answered = 0;
    const replies = Array.from({ length: n }, (_, i) => timed('GET', `/storm/${i}`).finally(() => answered++));
    await waitFor(`${n} first tries`, () => storm.requests.length === n);
    // The first tries all fail at once; the retries stay held (in flight) until every
    // request that was refused a retry has its 503, so none frees a place early.
    for (const r of storm.requests.slice(0, n)) r.res.writeHead(503).end('overloaded');
    await waitFor('every request retried or answered', () => answered + (storm.requests.length - n) === n);
    const retries = storm.requests.length - n;
    for (const r of storm.requests.slice(n)) r.res.writeHead(200).end('ok');
    const statuses = (await Promise.all(replies)).map((r) => r.status);
    // 20 % of the 30 in flight (the floor of 1 is below it); without a budget it would be 30.
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThanOrEqual(Math.floor(n * 0.2));
    expect(statuses.filter((s) => s === 200)).toHaveLength(retries);
    expect(statuses.filter((s) => s === 503)).toHaveLength(n - retries);
    const metrics = (await http('GET', `${rt.admin}/metrics`)).body;
    expect(metrics).toMatch(/gateway_upstream_retry_budget_exhausted_total\{api="storm"\} [1-9]/);
  });
});
