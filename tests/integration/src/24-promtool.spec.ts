// Every process's `/metrics` passes `promtool check metrics` (Debian's `prometheus` package;
// CI installs it, .ci/run): the built controller and runtime, after a deploy, traffic (a
// proxied 200 and an unmatched 404) and an ACK, so the labelled series exist too. And a
// deleted API's series leave the runtime's /metrics without a restart.
import { spawnSync } from 'node:child_process';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  putApi,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

/** `promtool check metrics` on `text`: its findings, '' when clean. Throws when promtool is missing. */
function promtoolCheck(text: string): { status: number | null; findings: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (run.error !== undefined) throw new Error(`promtool could not run (apt-get install prometheus; CI installs it): ${run.error.message}`);
  return { status: run.status, findings: `${run.stdout}${run.stderr}`.trim() };
}

let db: TempDatabase;
let upstream: RecordingUpstream;
let ctl: ControllerProcess;
let rt: RuntimeProcess;

beforeAll(async () => {
  db = await createTempDatabase();
  upstream = await startRecordingUpstream('A');
  ctl = await startControllerProcess({ id: 'ctl-promtool', databaseUrl: db.url });
  await waitControllerReady(ctl);
  const res = await putApi(ctl, 'orders', simpleApi('orders', upstream.url));
  expect(res.status, res.body).toBe(201);
  rt = await startRuntimeProcess({ id: 'rt-promtool', controllers: ctl.grpc });
  await waitRuntimeVersion(rt, res.json().configVersion);
  expect((await http('GET', `${rt.proxy}/orders/1`, { timeoutMs: 5_000 })).status).toBe(200);
  expect((await http('GET', `${rt.proxy}/nowhere`, { timeoutMs: 5_000 })).status).toBe(404);
  // The controller has counted the runtime's ACK and its open stream.
  await waitFor('the controller to count an ACK', async () => /^gateway_controller_config_acks_total [1-9]/m.test(await scrape(ctl.http)));
});

afterAll(async () => {
  await stopAll();
  await upstream?.close();
  await db?.drop();
});

describe('promtool check metrics', () => {
  it('promtool is installed (CI installs it; a missing one fails, never skips)', () => {
    expect(promtoolCheck('# HELP x_total x\n# TYPE x_total counter\nx_total 1\n')).toEqual({ status: 0, findings: '' });
    // And it does flag what it should: the defect this spec guards against.
    expect(promtoolCheck('# HELP y_total y\n# TYPE y_total gauge\ny_total 1\n').status).not.toBe(0);
  });

  it('passes on the controller /metrics', async () => {
    const text = await scrape(ctl.http);
    expect(text).toContain('gateway_controller_config_acks_total');
    expect(text).toMatch(/^process_open_fds \d+$/m);
    expect(promtoolCheck(text)).toEqual({ status: 0, findings: '' });
  });

  it('passes on the runtime admin /metrics', async () => {
    const text = await scrape(rt.admin);
    expect(text).toMatch(/gateway_http_requests_total\{api="orders",code="200"\} 1/);
    expect(text).toMatch(/^process_open_fds \d+$/m);
    expect(promtoolCheck(text)).toEqual({ status: 0, findings: '' });
  });

  it('removes the series of a deleted API from the runtime /metrics, keeping the others', async () => {
    const put = await putApi(ctl, 'gone', simpleApi('gone', upstream.url));
    expect(put.status, put.body).toBe(201);
    await waitRuntimeVersion(rt, put.json().configVersion);
    expect((await http('GET', `${rt.proxy}/gone/1`, { timeoutMs: 5_000 })).status).toBe(200);
    expect(await scrape(rt.admin)).toMatch(/gateway_http_requests_total\{api="gone",code="200"\} 1/);

    const del = await http('DELETE', `${ctl.http}/v1/apis/gone`, { headers: authHeaders, timeoutMs: 10_000 });
    expect(del.status, del.body).toBeLessThan(300);
    const version = Number(del.json().configVersion);
    expect(Number.isInteger(version), del.body).toBe(true);
    await waitRuntimeVersion(rt, version);
    const text = await waitFor('the deleted API to leave /metrics', async () => {
      const t = await scrape(rt.admin);
      return t.includes('api="gone"') ? undefined : t;
    });
    expect(text).toMatch(/gateway_http_requests_total\{api="orders",code="200"\} 1/);
    expect(text).toContain('gateway_http_request_duration_seconds_count{api="orders"} 1');
    expect(promtoolCheck(text)).toEqual({ status: 0, findings: '' });
  });
});
