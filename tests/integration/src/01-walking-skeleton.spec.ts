// The whole path across processes: deploy API → PostgreSQL → change feed → compiler →
// gRPC stream → runtime → proxied request. Two controller processes share one database;
// two runtime processes each follow a different controller.
import { createServer, type Server } from 'node:http';
import { createTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, freePort, waitFor } from '@gw/test-kit';
import { http } from './support/http.js';
import { startApp, stopAll, type AppProcess } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };

interface Ctl { proc: AppProcess; http: string; grpc: string }
interface Rt { proc: AppProcess; proxy: string; admin: string }

let db: { url: string; drop(): Promise<void> };
let upA: RecordingUpstream;
let upB: RecordingUpstream;
let hang: Server;
let hangPort: number;
const ctl: Ctl[] = [];
const rt: Rt[] = [];

async function controllerPorts(): Promise<{ httpPort: number; grpcPort: number }> {
  return { httpPort: await freePort(), grpcPort: await freePort() };
}

async function startController(i: number, ports?: { httpPort: number; grpcPort: number }): Promise<Ctl> {
  const { httpPort, grpcPort } = ports ?? (await controllerPorts());
  const proc = startApp('controller', `controller-${i}`, {
    DATABASE_URL: db.url,
    CONTROLLER_ID: `ctl-${i}`,
    ZONE: 'a',
    CONTROLLER_HOST: '127.0.0.1',
    CONTROLLER_HTTP_PORT: String(httpPort),
    CONTROLLER_GRPC_PORT: String(grpcPort),
    ADMIN_TOKEN: TOKEN,
    CHANGE_FEED_POLL_MS: '1000',
  });
  return { proc, http: `http://127.0.0.1:${httpPort}`, grpc: `127.0.0.1:${grpcPort}` };
}

async function startRuntime(i: number, controllerGrpc: string): Promise<Rt> {
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const proc = startApp('runtime', `runtime-${i}`, {
    RUNTIME_ID: `rt-${i}`,
    ZONE: 'a',
    CONTROLLER_ADDRESSES: controllerGrpc,
    RUNTIME_HOST: '127.0.0.1',
    RUNTIME_ADMIN_HOST: '127.0.0.1',
    RUNTIME_HTTP_PORT: String(proxyPort),
    RUNTIME_ADMIN_PORT: String(adminPort),
  });
  return { proc, proxy: `http://127.0.0.1:${proxyPort}`, admin: `http://127.0.0.1:${adminPort}` };
}

async function appliedVersion(r: Rt): Promise<number> {
  const res = await http('GET', `${r.admin}/config`);
  return res.json().version ?? -1;
}

/** Waits until every runtime runs at least `version`. */
async function converge(version: number): Promise<void> {
  for (const r of rt) await waitFor(`${r.proc.name} at v${version}`, async () => (await appliedVersion(r)) >= version);
}

function put(base: string, name: string, body: unknown, headers: Record<string, string> = json) {
  return http('PUT', `${base}/v1/apis/${name}`, { headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

beforeAll(async () => {
  db = await createTempDatabase();
  upA = await startRecordingUpstream('A');
  upB = await startRecordingUpstream('B');
  hang = createServer(() => undefined); // accepts requests and never answers
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  hangPort = (hang.address() as { port: number }).port;
});

afterAll(async () => {
  await stopAll();
  if (hang) await closeServer(hang);
  await upA?.close();
  await upB?.close();
  await db?.drop();
});

describe('walking skeleton', () => {
  it('a runtime with no config is not ready and answers 503 with a request id', async () => {
    // Runtime 1 starts while nothing listens on its controller's address yet: it cannot
    // have a config, so this is the not-ready state, deterministically.
    const c1Ports = await controllerPorts();
    rt.push(await startRuntime(1, `127.0.0.1:${c1Ports.grpcPort}`));
    await waitFor('runtime 1 admin up', () => http('GET', `${rt[0]!.admin}/health/live`).then((r) => r.status === 200));
    const ready = await http('GET', `${rt[0]!.admin}/health/ready`);
    expect(ready.status).toBe(503);
    const proxied = await http('GET', `${rt[0]!.proxy}/orders/1`);
    expect(proxied.status).toBe(503);
    expect(proxied.json()).toMatchObject({ code: 'GW_NOT_READY', requestId: proxied.headers['x-request-id'] });
    // Its controller comes up (the runtime keeps retrying), then the second pair.
    const [c1, c2] = [await startController(1, c1Ports), await startController(2)];
    ctl.push(c1, c2);
    rt.push(await startRuntime(2, c2.grpc));
    for (const c of ctl) await waitFor(`${c.proc.name} ready`, () => http('GET', `${c.http}/health/ready`).then((r) => r.status === 200), { timeoutMs: 30_000 });
    for (const r of rt) await waitFor(`${r.proc.name} ready`, () => http('GET', `${r.admin}/health/ready`).then((x) => x.status === 200), { timeoutMs: 30_000 });
    const cfg = (await http('GET', `${rt[0]!.admin}/config`)).json();
    expect(cfg).toMatchObject({ source: 'controller', controller: { connected: true, controllerId: 'ctl-1' } });
    expect(cfg.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('requires the admin token on /v1 but not on health', async () => {
    const none = await http('GET', `${ctl[0]!.http}/v1/apis`);
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json()).toMatchObject({ code: 'GW_UNAUTHORIZED' });
    const wrong = await http('GET', `${ctl[0]!.http}/v1/apis`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await http('GET', `${ctl[0]!.http}/v1/apis`, { headers: auth })).status).toBe(200);
    expect((await http('GET', `${ctl[1]!.http}/health/live`)).status).toBe(200);
  });

  it('rejects invalid definitions with problem+json field paths and stores nothing', async () => {
    const before = (await http('GET', `${ctl[0]!.http}/v1/apis`, { headers: auth })).json();
    const cases: { body: unknown; paths: string[] }[] = [
      { body: { name: 'bad', upstream: { targets: [{ url: 'http://127.0.0.1:1' }] } }, paths: ['basePath'] },
      { body: { name: 'bad', basePath: '/bad', upstream: { targets: [{ url: 'ftp://x' }] } }, paths: ['upstream.targets[0].url'] },
      { body: { name: 'bad', basePath: 7, upstream: { targets: 'x' } }, paths: ['basePath', 'upstream.targets'] },
      { body: { name: 'bad', basePath: '/bad', upstream: { targets: [{ url: 'http://a:1', weight: 'x' }] }, colour: 'red' }, paths: ['colour', 'upstream.targets[0].weight'] },
      { body: { name: 'other', basePath: '/bad', upstream: { targets: [{ url: 'http://a:1' }] } }, paths: ['name'] },
    ];
    for (const { body, paths } of cases) {
      const res = await put(ctl[0]!.http, 'bad', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json();
      expect(problem.code).toBe('GW_VALIDATION');
      for (const p of paths) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(p);
    }
    const badJson = await put(ctl[0]!.http, 'bad', '{"name":');
    expect(badJson.status).toBe(400);
    expect(badJson.json().code).toBe('GW_BAD_JSON');
    // Keep-alive (on a connection of its own): the API answers 413 before reading the body
    // and then drains the rest. With `Connection: close` Node would close the connection
    // right after the 413 while the client is still writing, and the client could see
    // EPIPE instead of the answer.
    const huge = await http('PUT', `${ctl[0]!.http}/v1/apis/bad`, {
      headers: { ...json, connection: 'keep-alive' },
      body: JSON.stringify({ name: 'bad', basePath: '/bad', pad: 'x'.repeat(2 * 1024 * 1024) }),
      agent: false,
    });
    expect(huge.status).toBe(413);
    expect(huge.headers['content-type']).toContain('application/problem+json');
    const after = (await http('GET', `${ctl[0]!.http}/v1/apis`, { headers: auth })).json();
    expect(after.items).toEqual(before.items);
    expect(after.configVersion).toBe(before.configVersion);
    expect((await http('GET', `${ctl[1]!.http}/v1/apis/bad`, { headers: auth })).status).toBe(404);
  });

  it('deploys through controller 1 and serves through the runtime attached to controller 2, base path stripped', async () => {
    const res = await put(ctl[0]!.http, 'orders', { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: upA.url }] } });
    expect(res.status).toBe(201);
    const { configVersion, revision } = res.json();
    expect(revision).toBe(1);
    expect(res.headers['etag']).toBe('"1"');
    await converge(configVersion);
    const through2 = await http('GET', `${rt[1]!.proxy}/orders/42?x=1`, { headers: { 'x-request-id': 'req-abc' } });
    expect(through2.status).toBe(200);
    expect(through2.json()).toEqual({ upstream: 'A', method: 'GET', url: '/42?x=1' });
    expect(through2.headers['x-request-id']).toBe('req-abc');
    expect(upA.requests.at(-1)!.headers['x-request-id']).toBe('req-abc');
    const through1 = await http('GET', `${rt[0]!.proxy}/orders`);
    expect(through1.json()).toEqual({ upstream: 'A', method: 'GET', url: '/' });
    // Both replicas serve the same snapshot: same version and hash on both runtimes.
    const [c1, c2] = [(await http('GET', `${rt[0]!.admin}/config`)).json(), (await http('GET', `${rt[1]!.admin}/config`)).json()];
    expect(c1.hash).toBe(c2.hash);
    expect(c1.version).toBe(c2.version);
  });

  it('moves traffic when the upstream URL changes (deployed through controller 2)', async () => {
    const res = await put(ctl[1]!.http, 'orders', { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: upB.url }] } }, { ...json, 'if-match': '"1"' });
    expect(res.status).toBe(200);
    expect(res.json().revision).toBe(2);
    await converge(res.json().configVersion);
    for (const r of rt) expect((await http('GET', `${r.proxy}/orders/7`)).json()).toEqual({ upstream: 'B', method: 'GET', url: '/7' });
    const stale = await put(ctl[0]!.http, 'orders', { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: upA.url }] } }, { ...json, 'if-match': '"1"' });
    expect(stale.status).toBe(412);
  });

  it('answers 502 for an unreachable upstream and 504 for one that does not answer in time', async () => {
    const closed = await freePort();
    const a = await put(ctl[0]!.http, 'down', { name: 'down', basePath: '/down', upstream: { targets: [{ url: `http://127.0.0.1:${closed}` }] } });
    const b = await put(ctl[0]!.http, 'slow', {
      name: 'slow',
      basePath: '/slow',
      upstream: { targets: [{ url: `http://127.0.0.1:${hangPort}` }], timeouts: { requestMs: 500 } },
    });
    await converge(Math.max(a.json().configVersion, b.json().configVersion));
    const r502 = await http('GET', `${rt[0]!.proxy}/down/x`);
    expect(r502.status).toBe(502);
    expect(r502.json()).toMatchObject({ code: 'GW_UPSTREAM_UNREACHABLE', requestId: expect.any(String) });
    const r504 = await http('GET', `${rt[1]!.proxy}/slow/x`);
    expect(r504.status).toBe(504);
    expect(r504.json()).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT', requestId: expect.any(String) });
  });

  it('a delete propagates: the route answers 404 with a JSON body and request id', async () => {
    const del = await http('DELETE', `${ctl[0]!.http}/v1/apis/orders`, { headers: auth });
    expect(del.status).toBe(200);
    await converge(del.json().configVersion);
    for (const r of rt) {
      const res = await http('GET', `${r.proxy}/orders/42`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toContain('application/json');
      expect(res.json()).toMatchObject({ code: 'GW_NO_ROUTE', requestId: res.headers['x-request-id'] });
    }
    expect((await http('GET', `${ctl[1]!.http}/v1/apis/orders`, { headers: auth })).status).toBe(404);
  });

  it('stops every process cleanly on SIGTERM', async () => {
    for (const p of [...rt, ...ctl]) {
      const code = await p.proc.stop('SIGTERM', 15_000);
      expect(code, `${p.proc.name} exit code\n${p.proc.output().slice(-2000)}`).toBe(0);
    }
  });
});
