// Promise 1 under lost notifications: LISTEN is only a doorbell. While a burst of deploys
// runs, the controllers' LISTEN sessions are terminated again and again
// (pg_terminate_backend), so notifications are lost; every replica and every runtime
// still converges on the last version within one poll interval plus a margin. Then the
// same burst with polling alone (CHANGE_FEED_MODE=poll).
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  controllerVersion,
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
import { stopAll } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const POLL_MS = 1_000;
/** Convergence bound after the last deploy: one poll interval, plus compile, stream and apply on a loaded 2-core machine. */
const CONVERGE_BOUND_MS = POLL_MS + 3_000;
const DEPLOYS = 30;
/** The change feed's LISTEN connections identify themselves so (libs/controller/change-feed). */
const LISTEN_APP_NAME = 'gw-change-feed';

let db: TempDatabase | undefined;
let admin: pg.Client | undefined;
let upstream: RecordingUpstream | undefined;
let terminator: { stop(atLeast?: number): Promise<number> } | undefined;

afterEach(async () => {
  await terminator?.stop();
  terminator = undefined;
  await stopAll();
  await admin?.end().catch(() => undefined);
  admin = undefined;
  await upstream?.close();
  upstream = undefined;
  await db?.drop();
  db = undefined;
});

async function listenSessions(): Promise<number> {
  const { rows } = await admin!.query<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1',
    [LISTEN_APP_NAME],
  );
  return rows[0]!.n;
}

/** Terminates every LISTEN session of this database every `everyMs`, until stopped (capped at 2 minutes). */
function startTerminator(everyMs: number): { stop(atLeast?: number): Promise<number> } {
  let stopped = false;
  let terminated = 0;
  let atLeast = 0;
  let deadline = Date.now() + 120_000;
  const loop = (async () => {
    while ((!stopped || terminated < atLeast) && Date.now() < deadline) {
      const { rows } = await admin!.query<{ ok: boolean }>(
        'select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and application_name = $1 and pid <> pg_backend_pid()',
        [LISTEN_APP_NAME],
      );
      terminated += rows.filter((r) => r.ok).length;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    // With `atLeast`: goes on until that many sessions were terminated (a reconnect takes
    // its backoff, so a quick burst can end before a second round), for at most 30 s more.
    async stop(least = 0) {
      atLeast = least;
      deadline = Math.min(deadline, Date.now() + 30_000);
      stopped = true;
      await loop;
      return terminated;
    },
  };
}

interface Fleet {
  ctl: ControllerProcess[];
  rt: RuntimeProcess[];
}

/** Two controllers on a fresh database and one runtime on each (so each replica's stream is proven). */
async function startFleet(mode: 'listen' | 'poll'): Promise<Fleet> {
  db = await createTempDatabase();
  admin = new pg.Client({ connectionString: db.url, application_name: 'gw-test-terminator' });
  admin.on('error', () => undefined);
  await admin.connect();
  upstream = await startRecordingUpstream('up');
  const env = { CHANGE_FEED_MODE: mode, CHANGE_FEED_POLL_MS: String(POLL_MS) };
  const ctl = [
    await startControllerProcess({ id: 'ctl-1', databaseUrl: db.url, env }),
    await startControllerProcess({ id: 'ctl-2', databaseUrl: db.url, env }),
  ];
  await Promise.all(ctl.map((c) => waitControllerReady(c)));
  const rt = [await startRuntimeProcess({ id: 'rt-1', controllers: ctl[0]!.grpc }), await startRuntimeProcess({ id: 'rt-2', controllers: ctl[1]!.grpc })];
  await Promise.all(rt.map((r) => waitRuntimeVersion(r, 0)));
  return { ctl, rt };
}

/** `count` deploys, three writers at a time, spread over both controllers; returns the highest config version. */
async function burst(fleet: Fleet, count: number): Promise<number> {
  let next = 0;
  let highest = 0;
  const writer = async () => {
    while (next < count) {
      const i = next++;
      const name = `api-${String(i).padStart(3, '0')}`;
      const res = await putApi(fleet.ctl[i % 2]!, name, simpleApi(name, upstream!.url));
      expect(res.status, res.body).toBe(201);
      highest = Math.max(highest, res.json().configVersion);
    }
  };
  await Promise.all([writer(), writer(), writer()]);
  return highest;
}

/** Waits until every controller and runtime is at `version`; returns how long that took. */
async function converge(fleet: Fleet, version: number): Promise<number> {
  const from = Date.now();
  await Promise.all([
    ...fleet.ctl.map((c) => waitFor(`${c.id} at v${version}`, async () => (await controllerVersion(c)) >= version, { timeoutMs: 30_000, intervalMs: 25 })),
    ...fleet.rt.map((r) => waitRuntimeVersion(r, version, 30_000)),
  ]);
  return Date.now() - from;
}

async function expectServesAll(fleet: Fleet, count: number, version: number) {
  for (const r of fleet.rt) {
    const cfg = await runtimeConfig(r);
    expect(cfg).toMatchObject({ version, apis: count });
    const last = `api-${String(count - 1).padStart(3, '0')}`;
    expect((await http('GET', `${r.proxy}/${last}/x`)).json()).toEqual({ upstream: 'up', method: 'GET', url: '/x' });
  }
  // Every replica compiled the same state to the same snapshot.
  const hashes = await Promise.all(fleet.rt.map(async (r) => (await runtimeConfig(r)).hash));
  expect(new Set(hashes).size).toBe(1);
}

describe('change feed under lost notifications', () => {
  it('LISTEN sessions terminated again and again during a burst of deploys: every replica and runtime converges within the poll interval', async () => {
    const fleet = await startFleet('listen');
    await waitFor('both controllers listening', async () => (await listenSessions()) === 2);

    // Keep killing the doorbell through the burst and until convergence: only polling
    // and reconnect catch-up can deliver the versions.
    terminator = startTerminator(50);
    const version = await burst(fleet, DEPLOYS);
    const tookMs = await converge(fleet, version);
    // Each controller's LISTEN session terminated at least twice: again after it came back.
    const terminated = await terminator.stop(4);
    terminator = undefined;

    expect(version).toBe(DEPLOYS);
    expect(terminated, 'LISTEN sessions were really terminated').toBeGreaterThanOrEqual(4);
    expect(tookMs).toBeLessThan(CONVERGE_BOUND_MS);
    await expectServesAll(fleet, DEPLOYS, version);
    // The doorbell comes back by itself once it is left alone.
    await waitFor('both controllers listening again', async () => (await listenSessions()) === 2, { timeoutMs: 30_000, intervalMs: 100 });
    console.info(`[07] listen: ${DEPLOYS} deploys, ${terminated} LISTEN sessions terminated, converged ${tookMs} ms after the last deploy`);
  });

  it('polling alone (CHANGE_FEED_MODE=poll) converges every replica and runtime within the poll interval', async () => {
    const fleet = await startFleet('poll');
    const version = await burst(fleet, DEPLOYS);
    const tookMs = await converge(fleet, version);
    expect(version).toBe(DEPLOYS);
    expect(tookMs).toBeLessThan(CONVERGE_BOUND_MS);
    await expectServesAll(fleet, DEPLOYS, version);
    // Poll mode never opens a LISTEN connection.
    expect(await listenSessions()).toBe(0);
    console.info(`[07] poll: ${DEPLOYS} deploys, converged ${tookMs} ms after the last deploy`);
  });
});
