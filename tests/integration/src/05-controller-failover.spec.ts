// Promise 5, controller failover, with real processes: a runtime prefers the controller
// in its own zone, moves to another replica when its controller is killed (kill -9),
// frozen (SIGSTOP: only keepalive can tell) or stopped (SIGTERM: the stream ends at
// once), moves back when the preferred one returns, and clients never see a failure.
import { createTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  logRecords,
  putApi,
  runtimeConfig,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeOn,
  waitRuntimeVersion,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { waitFor } from '@gw/test-kit';
import { http } from './support/http.js';
import { startLoadLoop, type LoadLoop } from './support/load-loop.js';
import { stopAll } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

// The runtime under test pings its controller every second and gives up after half a
// second without an answer: a frozen controller is noticed within ~1.5 s (the default,
// 3 s + 2 s, would take up to 5 s: the SIGSTOP bound below is set between the two).
const KEEPALIVE_MS = 1_000;
const KEEPALIVE_TIMEOUT_MS = 500;
const PREFERRED_RETRY_MS = 1_000;
/** Keepalive detection + jittered first backoff (≤ 200 ms) + reconnect, with room for a loaded 2-core machine. */
const SIGSTOP_BOUND_MS = 4_000;
/** kill -9 resets the TCP connection: the runtime knows at once and moves after one short backoff. */
const KILL_BOUND_MS = 3_000;
/** SIGTERM ends the stream cleanly: the move must not wait for keepalive (60 s on the runtime used for it). */
const SIGTERM_BOUND_MS = 2_500;

let db: { url: string; drop(): Promise<void> };
let upstream: RecordingUpstream;
let ctlA: ControllerProcess;
let ctlB: ControllerProcess;
let rt: RuntimeProcess;
const loads: LoadLoop[] = [];

function startCtl(id: string, zone: string, ports: { httpPort?: number; grpcPort?: number } = {}) {
  return startControllerProcess({ id, zone, databaseUrl: db.url, ...ports, env: { CHANGE_FEED_POLL_MS: '500' } });
}

/** Steady traffic through a runtime: 4 concurrent keep-alive clients, capped at 60 s / 40k requests. */
function steadyTraffic(r: RuntimeProcess): LoadLoop {
  const load = startLoadLoop({ url: (n) => `${r.proxy}/orders/${n}`, concurrency: 4, pauseMs: 5, maxRequests: 40_000, maxMs: 60_000 });
  loads.push(load);
  return load;
}

async function expectNoFailures(load: LoadLoop, minOk: number) {
  const result = await load.stop();
  expect(result.stoppedBy, 'the load loop must still be running when the test ends it').toBe('caller');
  expect(result.failed, JSON.stringify(result.failures, null, 1)).toBe(0);
  expect(result.ok).toBeGreaterThanOrEqual(minOk);
  return result;
}

beforeAll(async () => {
  db = await createTempDatabase();
  upstream = await startRecordingUpstream('orders');
  [ctlA, ctlB] = [await startCtl('ctl-a', 'a'), await startCtl('ctl-b', 'b')];
  await Promise.all([waitControllerReady(ctlA), waitControllerReady(ctlB)]);
  const res = await putApi(ctlB, 'orders', simpleApi('orders', upstream.url));
  expect(res.status).toBe(201);
  // The other zone's controller is listed first: the runtime must still prefer its own.
  rt = await startRuntimeProcess({
    id: 'rt-a1',
    zone: 'a',
    controllers: `b=${ctlB.grpc},a=${ctlA.grpc}`,
    env: {
      CONTROLLER_KEEPALIVE_MS: String(KEEPALIVE_MS),
      CONTROLLER_KEEPALIVE_TIMEOUT_MS: String(KEEPALIVE_TIMEOUT_MS),
      CONTROLLER_PREFERRED_RETRY_MS: String(PREFERRED_RETRY_MS),
    },
  });
  await waitRuntimeVersion(rt, res.json().configVersion);
});

afterAll(async () => {
  for (const l of loads) await l.stop();
  // A frozen process cannot act on SIGTERM: thaw everything first.
  for (const c of [ctlA, ctlB]) c?.proc.child.kill('SIGCONT');
  await stopAll();
  await upstream?.close();
  await db?.drop();
});

describe('controller failover', () => {
  it('prefers the controller in its own zone, even when it is listed second', async () => {
    const cfg = await waitRuntimeOn(rt, 'ctl-a');
    expect(cfg.controller).toMatchObject({ controllerZone: 'a', inZone: true, rank: 0, address: ctlA.grpc });
    expect((await http('GET', `${rt.proxy}/orders/1`)).status).toBe(200);
  });

  it('kill -9 of its controller under steady traffic: zero failed requests, resync through the other replica, a deploy made meanwhile arrives', async () => {
    const load = steadyTraffic(rt);
    await waitFor('traffic flowing', () => load.ok >= 50);
    const before = await runtimeConfig(rt);

    const killedAt = Date.now();
    await ctlA.proc.kill9();
    // Deployed through the surviving replica while the runtime is still failing over.
    const res = await putApi(ctlB, 'users', simpleApi('users', upstream.url));
    expect(res.status).toBe(201);
    const cfg = await waitRuntimeOn(rt, 'ctl-b', 15_000);
    const movedMs = Date.now() - killedAt;
    expect(cfg.controller).toMatchObject({ controllerZone: 'b', inZone: false, rank: 1, address: ctlB.grpc });
    expect(movedMs).toBeLessThan(KILL_BOUND_MS);

    const after = await waitRuntimeVersion(rt, res.json().configVersion, 10_000);
    expect(after.version).toBe(res.json().configVersion);
    expect((await http('GET', `${rt.proxy}/users/7`)).json()).toEqual({ upstream: 'orders', method: 'GET', url: '/7' });
    // Traffic keeps flowing for a while on the new stream before we count.
    const okAfterMove = load.ok;
    await waitFor('traffic after the failover', () => load.ok >= okAfterMove + 100);
    const result = await expectNoFailures(load, 150);
    console.info(`[05] kill -9: runtime on ctl-b after ${movedMs} ms; ${result.ok} requests, 0 failed; version ${before.version} → ${after.version}`);
  });

  it('moves back to its own zone once that controller is back, without re-applying the same config', async () => {
    const before = await runtimeConfig(rt);
    ctlA = await startCtl('ctl-a', 'a', { httpPort: ctlA.httpPort, grpcPort: ctlA.grpcPort });
    await waitControllerReady(ctlA);
    const cfg = await waitRuntimeOn(rt, 'ctl-a', 15_000);
    expect(cfg.controller).toMatchObject({ inZone: true, rank: 0 });
    // Same content on every replica: the runtime did not rebuild its table.
    expect(cfg.hash).toBe(before.hash);
    expect(cfg.appliedAt).toBe(before.appliedAt);
  });

  it('SIGSTOP of its controller: keepalive notices the frozen peer and the runtime moves within seconds', async () => {
    await waitRuntimeOn(rt, 'ctl-a');
    const load = steadyTraffic(rt);
    await waitFor('traffic flowing', () => load.ok >= 50);
    const frozenAt = Date.now();
    ctlA.proc.child.kill('SIGSTOP');
    try {
      const cfg = await waitRuntimeOn(rt, 'ctl-b', 15_000);
      const movedMs = Date.now() - frozenAt;
      const down = logRecords(rt.proc).filter((r) => r.msg === 'config stream down, moving to next controller').at(-1);
      expect(down?.reason).toMatch(/^UNAVAILABLE/);
      expect(movedMs).toBeLessThan(SIGSTOP_BOUND_MS);
      const result = await expectNoFailures(load, 50);
      console.info(`[05] SIGSTOP: runtime on ctl-b after ${movedMs} ms (keepalive ${KEEPALIVE_MS}+${KEEPALIVE_TIMEOUT_MS} ms); ${result.ok} requests, 0 failed`);
    } finally {
      // A frozen controller never comes back in this test: kill it (SIGKILL works on a stopped process).
      await ctlA.proc.kill9();
    }
  });

  it('SIGTERM of its controller: the stream ends cleanly and the runtime moves at once, long before keepalive could tell', async () => {
    ctlA = await startCtl('ctl-a', 'a', { httpPort: ctlA.httpPort, grpcPort: ctlA.grpcPort });
    await waitControllerReady(ctlA);
    // A runtime whose keepalive would take a minute: only the clean end of the stream can move it quickly.
    const slowKeepalive = await startRuntimeProcess({
      id: 'rt-a2',
      zone: 'a',
      controllers: `a=${ctlA.grpc},b=${ctlB.grpc}`,
      env: { CONTROLLER_KEEPALIVE_MS: '60000', CONTROLLER_KEEPALIVE_TIMEOUT_MS: '10000', CONTROLLER_PREFERRED_RETRY_MS: '0' },
    });
    await waitRuntimeOn(slowKeepalive, 'ctl-a');
    // Connected is announced before the first config arrives: traffic starts once it is applied.
    await waitRuntimeVersion(slowKeepalive, (await runtimeConfig(rt)).version);
    await waitRuntimeOn(rt, 'ctl-a', 15_000);
    const load = steadyTraffic(slowKeepalive);
    await waitFor('traffic flowing', () => load.ok >= 50);

    const terminatedAt = Date.now();
    const exited = ctlA.proc.stop('SIGTERM', 15_000);
    const [cfg] = await Promise.all([waitRuntimeOn(slowKeepalive, 'ctl-b', 15_000), waitRuntimeOn(rt, 'ctl-b', 15_000)]);
    const movedMs = Date.now() - terminatedAt;
    const downs = logRecords(slowKeepalive.proc).filter((r) => r.msg === 'config stream down, moving to next controller');
    expect(downs.map((r) => r.reason)).toEqual(['stream ended by controller']);
    expect(cfg.controller.address).toBe(ctlB.grpc);
    expect(movedMs).toBeLessThan(SIGTERM_BOUND_MS);
    expect(await exited).toBe(0);
    const result = await expectNoFailures(load, 50);
    console.info(`[05] SIGTERM: both runtimes on ctl-b after ${movedMs} ms; ${result.ok} requests, 0 failed`);
  });
});
