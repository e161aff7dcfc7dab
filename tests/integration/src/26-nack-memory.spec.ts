// NACK memory shared through the fleet status: two controller replicas on one database; a
// runtime (RUNTIME_MAX_APIS=1) NACKs a two-API config on replica 1, then fails over to
// replica 2 (SIGTERM of replica 1). Replica 2 reads the runtime's last NACK from
// runtime_sessions and does not send the rejected version again: the runtime NACKs once in
// all, and the next acceptable version reaches it.
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { metricSample, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  putApi,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeOn,
  waitRuntimeVersion,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const FLEET_ENV = { FLEET_HEARTBEAT_MS: '1000', FLEET_STALE_AFTER_MS: '5000', CHANGE_FEED_POLL_MS: '500' };
const OVER = { code: 'GW_SNAPSHOT_OVER_CAPACITY' };

let db: TempDatabase;
let upstream: RecordingUpstream;
let ctl1: ControllerProcess;
let ctl2: ControllerProcess;
let rt: RuntimeProcess;

beforeAll(async () => {
  db = await createTempDatabase();
  upstream = await startRecordingUpstream('A');
  ctl1 = await startControllerProcess({ id: 'ctl-1', databaseUrl: db.url, env: FLEET_ENV });
  ctl2 = await startControllerProcess({ id: 'ctl-2', databaseUrl: db.url, env: FLEET_ENV });
  await waitControllerReady(ctl1);
  await waitControllerReady(ctl2);
});

afterAll(async () => {
  await stopAll();
  await upstream?.close();
  await db?.drop();
});

async function controllerNacks(c: ControllerProcess): Promise<number> {
  return metricSample(await scrape(c.http), 'gateway_controller_config_nacks_total', OVER) ?? 0;
}

describe('NACK memory across controller replicas', () => {
  it('a runtime failing over to another replica is not sent the version it rejected', async () => {
    const first = await putApi(ctl1, 'one', simpleApi('one', upstream.url));
    expect(first.status, first.body).toBe(201);
    const v1 = first.json().configVersion as number;
    rt = await startRuntimeProcess({ id: 'rt-nack', controllers: `${ctl1.grpc},${ctl2.grpc}`, env: { RUNTIME_MAX_APIS: '1' } });
    await waitRuntimeOn(rt, 'ctl-1');
    await waitRuntimeVersion(rt, v1);

    // v2 has two APIs: the runtime refuses it on replica 1, and the fleet status records it.
    const second = await putApi(ctl1, 'two', simpleApi('two', upstream.url));
    expect(second.status, second.body).toBe(201);
    const v2 = second.json().configVersion as number;
    await withOutput(
      rt.proc,
      waitFor('the NACK of v2 in the fleet status', async () => {
        const res = await http('GET', `${ctl2.http}/v1/runtimes`, { headers: authHeaders, timeoutMs: 5_000 });
        return res.json().runtimes.find((r: any) => r.runtimeId === 'rt-nack')?.lastNack?.version === v2;
      }),
    );
    expect(metricSample(await scrape(rt.admin), 'gateway_runtime_config_nacks_total', OVER)).toBe(1);
    // Replica 2 serves v2 too before the runtime comes: it would send it at once without the shared memory.
    await waitFor('replica 2 to serve v2', async () => metricSample(await scrape(ctl2.http), 'gateway_controller_config_version') === v2);

    // Failover: replica 1 ends its streams on SIGTERM; the runtime moves to replica 2.
    ctl1.proc.child.kill('SIGTERM');
    await waitRuntimeOn(rt, 'ctl-2');

    // v3 (API two deleted) fits: replica 2 sends it, and it is the only thing it sends.
    const del = await http('DELETE', `${ctl2.http}/v1/apis/two`, { headers: authHeaders, timeoutMs: 10_000 });
    expect(del.status, del.body).toBe(200);
    const v3 = del.json().configVersion as number;
    const cfg = await waitRuntimeVersion(rt, v3);
    expect(cfg.version).toBe(v3);
    // One outstanding response per stream: v3 arrived, so anything sent before it was answered.
    expect(metricSample(await scrape(rt.admin), 'gateway_runtime_config_nacks_total', OVER)).toBe(1);
    expect(await controllerNacks(ctl2)).toBe(0);
  });
});
