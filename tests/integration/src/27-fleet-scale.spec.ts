// Issue 16: a fleet of real runtime processes must not hurt the deploy API. Two controller
// replicas on one database; 40 runtime processes (mutual TLS, each its own certificate) on
// replica 1; 8 clients put 300 distinct small APIs at once through both replicas. Before the
// fix, fleet-status bookkeeping (opens, ACKs, heartbeats, one statement per event on the
// deploy pool) starved the deploy path and 33 of 300 writes answered 503
// GW_DATABASE_UNAVAILABLE with PostgreSQL healthy. Now every write succeeds and every
// runtime applies the final version. The writes go through both replicas; each makes its
// own version, and every runtime and both replicas end with the same snapshot hash.
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { metricSample, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  controllerReadiness,
  logRecords,
  putApi,
  runtimeConfig,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeOn,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';

const RUNTIMES = 40;
/** Runtimes started at once: node start-up is CPU-bound, 2 cores share it with the controllers. */
const START_PARALLEL = 8;
const APIS = 300;
const CLIENTS = 8;
// Heartbeats every second: more fleet bookkeeping than the 5 s default, on purpose.
const CONTROLLER_ENV = { FLEET_HEARTBEAT_MS: '1000', FLEET_STALE_AFTER_MS: '10000', CHANGE_FEED_POLL_MS: '500', LOG_LEVEL: 'info' };
// Small heaps: 40 processes on one machine; info logs: debug output of 40 processes is CPU of its own.
const RUNTIME_ENV = { LOG_LEVEL: 'info', NODE_OPTIONS: '--max-old-space-size=128' };
// Nothing is proxied here: the upstream is never called.
const UPSTREAM = 'http://127.0.0.1:9';

let db: TempDatabase;
let ctl1: ControllerProcess;
let ctl2: ControllerProcess;
const runtimes: RuntimeProcess[] = [];
let startedInMs = 0;

beforeAll(async () => {
  db = await createTempDatabase();
  ctl1 = await startControllerProcess({ id: 'ctl-1', databaseUrl: db.url, env: CONTROLLER_ENV });
  ctl2 = await startControllerProcess({ id: 'ctl-2', databaseUrl: db.url, env: CONTROLLER_ENV });
  await waitControllerReady(ctl1);
  await waitControllerReady(ctl2);
  const first = await putApi(ctl1, 'seed', simpleApi('seed', UPSTREAM));
  expect(first.status, first.body).toBe(201);
  const started = Date.now();
  for (let i = 0; i < RUNTIMES; i += START_PARALLEL) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(START_PARALLEL, RUNTIMES - i) }, (_, j) =>
        startRuntimeProcess({ id: `rt-${String(i + j).padStart(2, '0')}`, controllers: ctl1.grpc, env: RUNTIME_ENV }),
      ),
    );
    runtimes.push(...batch);
    await Promise.all(batch.map((r) => waitRuntimeOn(r, 'ctl-1', 60_000, 200)));
  }
  startedInMs = Date.now() - started;
}, 120_000);

afterAll(async () => {
  await stopAll();
  await db?.drop();
});

describe('a fleet of 40 runtime processes on one controller', () => {
  it('300 concurrent PUTs from 8 clients through both replicas all succeed, each with its own version, and every runtime and replica ends at the final version with one hash', async () => {
    expect(runtimes).toHaveLength(RUNTIMES);
    const names = Array.from({ length: APIS }, (_, i) => `fleet-${String(i).padStart(3, '0')}`);
    const failures: string[] = [];
    let highest = 0;
    const versions: number[] = [];
    const fleetWrites = async () => metricSample(await scrape(ctl1.http), 'gateway_controller_fleet_status_writes_total', { result: 'ok' }) ?? 0;
    const writesBefore = await fleetWrites();
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        // Bounded: each client takes names from the shared list until it is empty.
        while (next < names.length) {
          const name = names[next++]!;
          // Writes from both replicas at once: they contend for the one writers' lock.
          const res = await putApi(next % 2 === 0 ? ctl1 : ctl2, name, simpleApi(name, UPSTREAM), 30_000);
          if (res.status !== 201) failures.push(`${name}: ${res.status} ${res.body.slice(0, 200)}`);
          else {
            versions.push(res.json().configVersion as number);
            highest = Math.max(highest, res.json().configVersion as number);
          }
        }
      }),
    );
    const writeMs = Date.now() - started;
    // On failure, the controller's own account of why (the cause of each 503) goes with it.
    const why = [ctl1, ctl2].flatMap((c) => logRecords(c.proc)).filter((r) => /unavailable|busy/.test(String(r.msg))).map((r) => `${r.msg}: ${JSON.stringify(r.cause ?? r.err).slice(0, 400)}`);
    expect(failures, why.slice(0, 5).join('\n')).toEqual([]);
    // Every write made its own version, and together they made exactly versions 2..301.
    expect(new Set(versions).size).toBe(APIS);
    expect(Math.min(...versions)).toBe(2);
    expect(highest).toBe(APIS + 1);

    // Every runtime applies the final version (polled in rounds; each round asks all 40).
    await waitFor(
      `all ${RUNTIMES} runtimes at version ${highest}`,
      async () => {
        const versions = await Promise.all(runtimes.map(async (r) => (await runtimeConfig(r)).version ?? -1));
        return versions.every((v) => v >= highest);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const appliedMs = Date.now() - started;
    // One state, one snapshot: every runtime and both replicas hold the same hash for it.
    const hashes = new Set((await Promise.all(runtimes.map(runtimeConfig))).map((c) => c.hash as string));
    expect(hashes.size).toBe(1);
    for (const c of [ctl1, ctl2]) {
      await waitFor(`${c.id} compiled version ${highest}`, async () => (await controllerReadiness(c)).body?.checks?.snapshot?.version === highest, { timeoutMs: 10_000, intervalMs: 100 });
      expect((await controllerReadiness(c)).body.checks.snapshot.hash).toBe([...hashes][0]);
    }
    // Batched: ~12,000 ACKs (300 versions × 40 runtimes, fewer as versions coalesce) and the
    // heartbeats cost at most one fleet write per 200 ms interval, not one per event.
    const writes = (await fleetWrites()) - writesBefore;
    expect(writes).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 200) + 2);
    // The fleet view agrees, on the other replica too (it reads the fleet table both share).
    const status = await http('GET', `${ctl2.http}/v1/status?waitForVersion=${highest}&timeoutMs=20000`, { headers: authHeaders, timeoutMs: 25_000 });
    expect(status.status, status.body).toBe(200);
    const listed = await http('GET', `${ctl2.http}/v1/runtimes`, { headers: authHeaders, timeoutMs: 10_000 });
    const connected = listed.json().runtimes.filter((r: any) => r.connected && r.controllerId === 'ctl-1');
    expect(connected).toHaveLength(RUNTIMES);
    console.log(`fleet scale: ${RUNTIMES} runtimes started in ${startedInMs} ms; ${APIS} PUTs (${CLIENTS} clients) in ${writeMs} ms; all applied after ${appliedMs} ms; ${writes} fleet-status writes`);
  });
});
