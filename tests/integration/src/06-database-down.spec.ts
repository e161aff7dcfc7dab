// Promise 9, database failure is explicit: with the database stopped, the deploy API
// answers 503 problem+json within a couple of seconds, readiness turns 503, runtimes keep
// serving and controllers keep streaming the last snapshot from memory (even to a
// runtime that restarts meanwhile, with no disk cache); when the database returns,
// everything recovers by itself, with no restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  controllerReadiness,
  putApi,
  runtimeConfig,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { waitFor } from '@gw/test-kit';
import { http } from './support/http.js';
import { startLoadLoop, type LoadLoop } from './support/load-loop.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';
import { stopAll } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

/** The promise is "within 2 s"; the assertion leaves a margin for a loaded machine. */
const DEPLOY_503_BOUND_MS = 2_500;
/** Readiness checks every DB_HEALTH_INTERVAL_MS (1 s) with a 1 s timeout: 503 within ~2 s of the outage. */
const READY_503_BOUND_MS = 3_000;

let pg: PrivatePostgres;
let upstream: RecordingUpstream;
let ctl: ControllerProcess[] = [];
let rt: RuntimeProcess;
let load: LoadLoop | undefined;
let lastVersion = 0;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  upstream = await startRecordingUpstream('up');
  ctl = [
    await startControllerProcess({ id: 'ctl-1', databaseUrl: pg.url, env: { CHANGE_FEED_MODE: 'listen', CHANGE_FEED_POLL_MS: '500' } }),
    await startControllerProcess({ id: 'ctl-2', databaseUrl: pg.url, env: { CHANGE_FEED_MODE: 'listen', CHANGE_FEED_POLL_MS: '500' } }),
  ];
  await Promise.all(ctl.map((c) => waitControllerReady(c)));
  rt = await startRuntimeProcess({ id: 'rt-1', controllers: ctl.map((c) => `a=${c.grpc}`).join(',') });
  const res = await putApi(ctl[0]!, 'orders', simpleApi('orders', upstream.url));
  expect(res.status).toBe(201);
  lastVersion = res.json().configVersion;
  await waitRuntimeVersion(rt, lastVersion);
}, 180_000);

afterAll(async () => {
  await load?.stop();
  await stopAll();
  await upstream?.close();
  await pg?.destroy();
});

describe('database down', () => {
  it('answers deploys with 503 problem+json within 2 s, turns not ready, and keeps traffic flowing', async () => {
    load = startLoadLoop({ url: (n) => `${rt.proxy}/orders/${n}`, concurrency: 2, pauseMs: 10, maxRequests: 30_000, maxMs: 90_000 });
    await waitFor('traffic flowing', () => load!.ok >= 20);

    await pg.stop();
    const stoppedAt = Date.now();

    const t0 = Date.now();
    const put = await putApi(ctl[0]!, 'users', simpleApi('users', upstream.url), 10_000);
    const putMs = Date.now() - t0;
    expect(put.status, put.body).toBe(503);
    expect(put.headers['content-type']).toContain('application/problem+json');
    expect(put.headers['retry-after']).toBe('2');
    expect(put.json()).toMatchObject({ status: 503, code: 'GW_DATABASE_UNAVAILABLE', requestId: expect.any(String) });
    expect(putMs).toBeLessThan(DEPLOY_503_BOUND_MS);

    const t1 = Date.now();
    const list = await http('GET', `${ctl[1]!.http}/v1/apis`, { headers: authHeaders });
    const listMs = Date.now() - t1;
    expect(list.status).toBe(503);
    expect(list.json()).toMatchObject({ code: 'GW_DATABASE_UNAVAILABLE' });
    expect(listMs).toBeLessThan(DEPLOY_503_BOUND_MS);

    for (const c of ctl) {
      const ready = await waitFor(`${c.id} not ready`, async () => {
        const r = await controllerReadiness(c);
        return r.status === 503 ? r : undefined;
      }, { timeoutMs: READY_503_BOUND_MS, intervalMs: 50 });
      expect(ready.body.checks.database).toMatchObject({ ok: false, lastError: expect.any(String) });
      // Still holding (and serving) the last snapshot.
      expect(ready.body.checks.snapshot.version).toBe(lastVersion);
      expect((await http('GET', `${c.http}/health/live`)).status).toBe(200);
    }
    const readyMs = Date.now() - stoppedAt;
    // Traffic through the runtime was never touched by the outage.
    const okBefore = load!.ok;
    await waitFor('traffic during the outage', () => load!.ok >= okBefore + 50);
    const result = await load!.stop();
    load = undefined;
    expect(result.stoppedBy).toBe('caller');
    expect(result.failed, JSON.stringify(result.failures, null, 1)).toBe(0);
    console.info(`[06] database stopped: PUT 503 in ${putMs} ms, GET /v1/apis 503 in ${listMs} ms, both controllers not ready after ${readyMs} ms; ${result.ok} requests, 0 failed`);
  });

  it('keeps streaming the last snapshot: a runtime restarted during the outage (no disk cache) gets it and serves', async () => {
    const before = await runtimeConfig(rt);
    expect(await rt.proc.stop('SIGTERM', 15_000)).toBe(0);
    rt = await startRuntimeProcess({ id: 'rt-1', controllers: ctl.map((c) => `a=${c.grpc}`).join(',') });
    const cfg = await waitRuntimeVersion(rt, lastVersion, 30_000);
    expect(cfg).toMatchObject({ version: before.version, hash: before.hash, source: 'controller' });
    expect((await http('GET', `${rt.admin}/health/ready`)).status).toBe(200);
    expect((await http('GET', `${rt.proxy}/orders/5`)).json()).toEqual({ upstream: 'up', method: 'GET', url: '/5' });
    for (const c of ctl) expect((await controllerReadiness(c)).status).toBe(503);

    load = startLoadLoop({ url: (n) => `${rt.proxy}/orders/${n}`, concurrency: 2, pauseMs: 10, maxRequests: 30_000, maxMs: 90_000 });
    await waitFor('traffic flowing through the restarted runtime', () => load!.ok >= 20);
  });

  it('recovers by itself when the database returns: ready again, deploys work and reach the runtime', async () => {
    const pids = ctl.map((c) => c.proc.child.pid);
    await pg.start();
    const startedAt = Date.now();
    await Promise.all(ctl.map((c) => waitControllerReady(c, 30_000)));
    const readyMs = Date.now() - startedAt;

    const res = await putApi(ctl[1]!, 'users', simpleApi('users', upstream.url));
    expect(res.status, res.body).toBe(201);
    await waitRuntimeVersion(rt, res.json().configVersion, 15_000);
    expect((await http('GET', `${rt.proxy}/users/9`)).json()).toEqual({ upstream: 'up', method: 'GET', url: '/9' });
    for (const c of ctl) {
      await waitFor(`${c.id} at the new version`, async () => ((await controllerReadiness(c)).body.checks.snapshot.version === res.json().configVersion ? true : undefined));
    }
    // The 503 during the outage changed nothing: "users" is at its first revision.
    expect(res.json().revision).toBe(1);
    // No restarts: the same processes, still running.
    expect(ctl.map((c) => c.proc.child.pid)).toEqual(pids);
    for (const c of ctl) expect(c.proc.child.exitCode).toBeNull();

    const result = await load!.stop();
    load = undefined;
    expect(result.stoppedBy).toBe('caller');
    expect(result.failed, JSON.stringify(result.failures, null, 1)).toBe(0);
    console.info(`[06] database back: controllers ready after ${readyMs} ms; ${result.ok} requests through the restarted runtime during outage and recovery, 0 failed`);
  });
});
