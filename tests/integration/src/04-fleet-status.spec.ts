// Fleet status across processes: two controller replicas on one database, one runtime on
// each (zones a and b); the zone-b runtime accepts at most 2 APIs (RUNTIME_MAX_APIS), so a
// third one makes it NACK. Proves promise 3 (never a bad config, no resend loop, the NACK
// visible in the status API of every replica and in metrics), the status and wait API, and
// promise 10's deliberate restore through the config epoch.
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  putApi,
  runtimeConfig,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { metricSample, waitFor } from '@gw/test-kit';
import { http, type HttpResult } from './support/http.js';
import { stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

// Heartbeats every second; a runtime is stale after 5 s without one (room for a loaded machine).
const FLEET_ENV = { FLEET_HEARTBEAT_MS: '1000', FLEET_STALE_AFTER_MS: '5000', CHANGE_FEED_POLL_MS: '500' };
const NACKS = 'gateway_runtime_config_nacks_total';
const OVER = { code: 'GW_SNAPSHOT_OVER_CAPACITY' };

let db: TempDatabase;
let upstream: RecordingUpstream;
let ctl1: ControllerProcess;
let ctl2: ControllerProcess;
let rtA: RuntimeProcess;
let rtB: RuntimeProcess;

function get(base: string, path: string): Promise<HttpResult> {
  return http('GET', `${base}${path}`, { headers: authHeaders, timeoutMs: 20_000 });
}

async function runtimesOn(c: ControllerProcess): Promise<Record<string, any>> {
  const res = await get(c.http, '/v1/runtimes');
  expect(res.status).toBe(200);
  const byId: Record<string, any> = {};
  for (const r of res.json().runtimes) byId[r.runtimeId] = r;
  return byId;
}

async function statusOn(c: ControllerProcess): Promise<any> {
  const res = await get(c.http, '/v1/status');
  expect(res.status).toBe(200);
  return res.json();
}

/** Waits until `probe` holds for the `/v1/runtimes` answer of every replica. */
async function onEveryReplica(what: string, probe: (runtimes: Record<string, any>) => boolean): Promise<Record<string, any>[]> {
  const answers: Record<string, any>[] = [];
  for (const c of [ctl1, ctl2]) {
    answers.push(
      await withOutput(
        c.proc,
        waitFor(`${what} on ${c.id}`, async () => {
          const runtimes = await runtimesOn(c);
          return probe(runtimes) ? runtimes : undefined;
        }),
      ),
    );
  }
  return answers;
}

async function nackCount(r: RuntimeProcess): Promise<number> {
  return metricSample(await scrape(r.admin), NACKS, OVER) ?? 0;
}

async function deploy(c: ControllerProcess, name: string, body: unknown): Promise<number> {
  const res = await putApi(c, name, body);
  expect(res.status, res.body).toBeLessThan(300);
  expect(res.headers['x-config-version']).toBe(String(res.json().configVersion));
  return res.json().configVersion;
}

async function through(r: RuntimeProcess, path: string): Promise<number> {
  return (await http('GET', `${r.proxy}${path}`)).status;
}

beforeAll(async () => {
  db = await createTempDatabase();
  upstream = await startRecordingUpstream('up');
  ctl1 = await startControllerProcess({ id: 'ctl-1', zone: 'a', databaseUrl: db.url, env: FLEET_ENV });
  ctl2 = await startControllerProcess({ id: 'ctl-2', zone: 'b', databaseUrl: db.url, env: FLEET_ENV });
  await waitControllerReady(ctl1);
  await waitControllerReady(ctl2);
  rtA = await startRuntimeProcess({ id: 'rt-a', zone: 'a', controllers: ctl1.grpc });
  rtB = await startRuntimeProcess({ id: 'rt-b', zone: 'b', controllers: ctl2.grpc, env: { RUNTIME_MAX_APIS: '2' } });
});

afterAll(async () => {
  await stopAll();
  await upstream?.close();
  await db?.drop();
});

describe('fleet status', () => {
  it('records both runtimes on both replicas and reports them in sync, per zone', async () => {
    const v1 = await deploy(ctl1, 'api-1', simpleApi('api-1', upstream.url));
    const v2 = await deploy(ctl1, 'api-2', simpleApi('api-2', upstream.url));
    expect(v2).toBe(v1 + 1);
    await onEveryReplica('both runtimes connected', (rts) => rts['rt-a']?.connected && rts['rt-b']?.connected);

    const wait = await get(ctl2.http, `/v1/status?waitForVersion=${v2}&timeoutMs=30000`);
    expect(wait.status, wait.body).toBe(200);
    expect(wait.json().wait).toMatchObject({ version: v2, reached: true });

    for (const c of [ctl1, ctl2]) {
      const status = await statusOn(c);
      expect(status.controller.id).toBe(c.id);
      expect(status.config).toMatchObject({ version: v2, epoch: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(status.runtimes).toEqual({ total: 2, connected: 2, inSync: 2, outOfSync: 0, nacked: 0, stale: 0, disconnected: 0 });
      expect(status.zones).toEqual({
        a: { total: 1, connected: 1, inSync: 1, outOfSync: 0, nacked: 0, stale: 0, disconnected: 0 },
        b: { total: 1, connected: 1, inSync: 1, outOfSync: 0, nacked: 0, stale: 0, disconnected: 0 },
      });
      const rts = await runtimesOn(c);
      expect(rts['rt-a']).toMatchObject({ zone: 'a', controllerId: 'ctl-1', state: 'connected', inSync: true, lastNack: null, applied: { version: v2, epoch: 1 } });
      expect(rts['rt-b']).toMatchObject({ zone: 'b', controllerId: 'ctl-2', state: 'connected', inSync: true, lastNack: null, applied: { version: v2, epoch: 1 } });
      expect(rts['rt-a'].applied.hash).toBe(status.config.hash);
    }
    for (const r of [rtA, rtB]) for (const p of ['/api-1/x', '/api-2/x']) expect(await through(r, p)).toBe(200);
  });

  it('exposes Prometheus metrics on both apps without the admin token', async () => {
    const c = await scrape(ctl1.http);
    expect(metricSample(c, 'gateway_controller_config_version')).toBeGreaterThanOrEqual(2);
    expect(metricSample(c, 'gateway_controller_config_epoch')).toBe(1);
    expect(metricSample(c, 'gateway_controller_runtime_streams', { zone: 'a' })).toBe(1);
    expect(metricSample(c, 'gateway_controller_config_acks_total')).toBeGreaterThanOrEqual(1);
    // The start-up compile is full; every deploy after it is incremental.
    expect(metricSample(c, 'gateway_controller_snapshot_compiles_total', { mode: 'full' })).toBeGreaterThanOrEqual(1);
    expect(metricSample(c, 'gateway_controller_snapshot_compiles_total', { mode: 'incremental' })).toBeGreaterThanOrEqual(1);
    expect(metricSample(c, 'gateway_controller_change_feed_versions_total')).toBeGreaterThanOrEqual(1);
    expect(c).not.toMatch(/rt-a/); // no runtime ids in labels
    const r = await scrape(rtA.admin);
    expect(metricSample(r, 'gateway_runtime_config_version')).toBeGreaterThanOrEqual(2);
    expect(metricSample(r, 'gateway_runtime_config_epoch')).toBe(1);
    expect(metricSample(r, 'gateway_runtime_config_applies_total')).toBeGreaterThanOrEqual(1);
    expect(metricSample(r, 'gateway_runtime_controller_connected')).toBe(1);
    expect(metricSample(r, 'gateway_runtime_controller_connects_total')).toBeGreaterThanOrEqual(1);
    expect(metricSample(r, 'gateway_runtime_config_apply_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(await nackCount(rtB)).toBe(0);
  });

  it('a runtime over capacity NACKs, keeps serving its last good config, and every replica shows the NACK', async () => {
    const v3 = await deploy(ctl2, 'api-3', simpleApi('api-3', upstream.url));
    await waitRuntimeVersion(rtA, v3);
    const [on1, on2] = await onEveryReplica('the NACK of rt-b and the ACK of rt-a', (rts) => rts['rt-b']?.lastNack?.version === v3 && rts['rt-a']?.applied.version === v3);
    for (const rts of [on1!, on2!]) {
      expect(rts['rt-b']).toMatchObject({
        connected: true,
        inSync: false,
        nackPending: true,
        applied: { version: v3 - 1 },
        lastNack: { version: v3, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: expect.stringContaining('RUNTIME_MAX_APIS'), at: expect.any(String) },
      });
      expect(rts['rt-a']).toMatchObject({ inSync: true, applied: { version: v3 } });
    }

    // The last good table keeps serving: the first two APIs reach the upstream, the third is unknown here.
    expect((await runtimeConfig(rtB)).version).toBe(v3 - 1);
    const before = upstream.requests.length;
    expect(await through(rtB, '/api-1/still')).toBe(200);
    expect(await through(rtB, '/api-2/still')).toBe(200);
    expect(upstream.requests.slice(before).map((q) => q.url)).toEqual(['/still', '/still']);
    expect(await through(rtB, '/api-3/x')).toBe(404);
    expect(await through(rtA, '/api-3/x')).toBe(200);

    const status = await statusOn(ctl1);
    expect(status.runtimes).toMatchObject({ total: 2, connected: 2, inSync: 1, outOfSync: 1, nacked: 1 });
    expect(status.zones.b).toMatchObject({ inSync: 0, outOfSync: 1, nacked: 1 });
    expect(status.nacks).toEqual([expect.objectContaining({ runtimeId: 'rt-b', zone: 'b', version: v3, code: 'GW_SNAPSHOT_OVER_CAPACITY' })]);

    expect(await nackCount(rtB)).toBe(1);
    expect(metricSample(await scrape(ctl2.http), 'gateway_controller_config_nacks_total', OVER)).toBe(1);

    // A version everyone runs is reached at once; the rejected one times out naming the laggard.
    expect((await get(ctl1.http, `/v1/status?waitForVersion=${v3 - 1}&timeoutMs=5000`)).status).toBe(200);
    const started = Date.now();
    const timedOut = await get(ctl1.http, `/v1/status?waitForVersion=${v3}&timeoutMs=1500`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(timedOut.status).toBe(504);
    expect(timedOut.headers['content-type']).toContain('application/problem+json');
    expect(timedOut.json()).toMatchObject({
      code: 'GW_WAIT_TIMEOUT',
      waitForVersion: v3,
      laggards: [{ runtimeId: 'rt-b', zone: 'b', version: v3 - 1, lastNack: { version: v3, code: 'GW_SNAPSHOT_OVER_CAPACITY' } }],
    });
    expect(timedOut.json().laggards).toHaveLength(1);
  });

  it('never resends a rejected version: one NACK per rejected version, and a config that fits again is applied', async () => {
    // Still 3 APIs: rejected too, exactly once.
    const v4 = await deploy(ctl1, 'api-3', { ...simpleApi('api-3', upstream.url), stripBasePath: false });
    await waitRuntimeVersion(rtA, v4);
    await onEveryReplica('the second NACK of rt-b', (rts) => rts['rt-b']?.lastNack?.version === v4);
    expect(await nackCount(rtB)).toBe(2);

    // Back to 2 APIs: applied and ACKed; the NACK stays as history but is no longer pending.
    const del = await http('DELETE', `${ctl2.http}/v1/apis/api-3`, { headers: authHeaders });
    expect(del.status).toBe(200);
    const v5 = del.json().configVersion;
    await waitRuntimeVersion(rtB, v5);
    const [on1, on2] = await onEveryReplica('rt-b back in sync', (rts) => rts['rt-b']?.inSync === true && rts['rt-a']?.inSync === true);
    for (const rts of [on1!, on2!]) expect(rts['rt-b']).toMatchObject({ applied: { version: v5 }, nackPending: false, lastNack: { version: v4 } });
    expect((await get(ctl2.http, `/v1/status?waitForVersion=${v5}&timeoutMs=10000`)).status).toBe(200);
    expect((await statusOn(ctl2)).nacks).toEqual([]);

    // Several stream round trips later the rejected versions were still sent only once each.
    expect(await nackCount(rtB)).toBe(2);
    expect(metricSample(await scrape(ctl2.http), 'gateway_controller_config_nacks_total', OVER)).toBe(2);
    expect(await through(rtB, '/api-1/x')).toBe(200);
  });

  it('rolls the fleet back to a restored database through an epoch bump', async () => {
    const before = (await statusOn(ctl1)).config;
    // "Restore a backup" taken when only api-1 existed, at version 1: the database is now behind its runtimes.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`delete from apis where name <> 'api-1'`);
      await client.query('update config_state set version = 1');
      await client.query('commit');
    } finally {
      await client.end();
    }
    const warned = await waitFor('the restore warning', async () => {
      const s = await statusOn(ctl1);
      return s.config.version === 1 && s.warnings.length === 1 ? s : undefined;
    });
    expect(warned.warnings[0]).toMatch(/POST \/v1\/config\/epoch/);
    expect(warned.runtimes.inSync).toBe(0);
    // Runtimes keep what they run: nothing older is pushed to them without an epoch change.
    expect(await through(rtA, '/api-2/x')).toBe(200);

    const bump = await http('POST', `${ctl2.http}/v1/config/epoch`, { headers: authHeaders });
    expect(bump.status, bump.body).toBe(200);
    const { epoch, configVersion } = bump.json();
    expect(epoch).toBe(before.epoch + 1);
    // Above every version a runtime ran, so versions keep growing across the restore.
    expect(configVersion).toBe(before.version + 1);

    for (const r of [rtA, rtB]) {
      await withOutput(r.proc, waitFor(`${r.id} in epoch ${epoch}`, async () => {
        const cfg = await runtimeConfig(r);
        return cfg.epoch === epoch && cfg.version === configVersion ? cfg : undefined;
      }));
    }
    expect((await get(ctl1.http, `/v1/status?waitForVersion=${configVersion}&timeoutMs=10000`)).status).toBe(200);
    for (const r of [rtA, rtB]) {
      expect(await through(r, '/api-1/x')).toBe(200);
      expect(await through(r, '/api-2/x')).toBe(404);
      expect(metricSample(await scrape(r.admin), 'gateway_runtime_config_epoch')).toBe(epoch);
    }
    await onEveryReplica('both runtimes in sync in the new epoch', (rts) => rts['rt-a']?.inSync && rts['rt-b']?.inSync);
    const status = await statusOn(ctl2);
    expect(status.config).toMatchObject({ version: configVersion, epoch });
    expect(status.warnings).toEqual([]);

    const audit = new pg.Client({ connectionString: db.url });
    await audit.connect();
    try {
      const { rows } = await audit.query(`select actor, epoch::int, config_version::int, api_name from audit_log where action = 'epoch'`);
      expect(rows).toEqual([{ actor: 'admin', epoch, config_version: configVersion, api_name: null }]);
    } finally {
      await audit.end();
    }
  });

  it('flags a runtime whose controller died without closing its stream as stale', async () => {
    await ctl2.proc.kill9();
    const [on1] = await waitFor('rt-b stale on ctl-1', async () => {
      const rts = await runtimesOn(ctl1);
      return rts['rt-b']?.stale ? [rts] : undefined;
    });
    expect(on1!['rt-b']).toMatchObject({ state: 'stale', connected: false, inSync: false, controllerId: 'ctl-2' });
    const status = await statusOn(ctl1);
    expect(status.stale).toEqual([expect.objectContaining({ runtimeId: 'rt-b', zone: 'b', controllerId: 'ctl-2' })]);
    expect(status.runtimes).toMatchObject({ total: 2, connected: 1, inSync: 1, stale: 1 });
    // Nobody can bring a stale runtime along, so waits do not wait for it; it keeps serving on its own.
    const { version } = status.config;
    expect((await get(ctl1.http, `/v1/status?waitForVersion=${version}&timeoutMs=5000`)).status).toBe(200);
    expect(await through(rtB, '/api-1/x')).toBe(200);
  });
});
