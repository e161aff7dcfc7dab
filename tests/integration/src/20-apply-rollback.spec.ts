// Operating the gateway declaratively, across processes: two controller replicas on one
// database, a runtime following each. A dry run writes nothing; an apply makes one config
// version that both runtimes serve, and re-applying makes none; prune deletes; a rollback
// (of a changed API, and of a deleted one) is served by the runtimes; export → apply is a
// no-op; a stale If-Match is 412; an invalid API among 100 is named by index and field.
// Apply and rollback are audited under the token that made them.
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http, type HttpResult } from './support/http.js';
import { stopAll } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

let db: TempDatabase;
let ctl1: ControllerProcess;
let ctl2: ControllerProcess;
let rt1: RuntimeProcess;
let rt2: RuntimeProcess;
let upA: RecordingUpstream;
let upB: RecordingUpstream;
const token: Record<'deployer' | 'viewer' | 'admin', string> = { deployer: '', viewer: '', admin: '' };

function call(c: ControllerProcess, method: string, path: string, bearer: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return http(method, `${c.http}${path}`, {
    headers: {
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    timeoutMs: 20_000,
  });
}

/** Both runtimes run at least `version`. */
async function served(version: number): Promise<void> {
  await waitRuntimeVersion(rt1, version);
  await waitRuntimeVersion(rt2, version);
}

/** Which upstream each runtime reaches at `path` (its name), or the status when none does. */
async function reached(path: string): Promise<string[]> {
  const out: string[] = [];
  for (const rt of [rt1, rt2]) {
    const res = await http('GET', `${rt.proxy}${path}`);
    out.push(res.status === 200 ? String(res.json().upstream) : String(res.status));
  }
  return out;
}

async function configVersion(c: ControllerProcess): Promise<number> {
  const res = await call(c, 'GET', '/v1/apis', token.viewer);
  return Number(res.headers['x-config-version']);
}

beforeAll(async () => {
  db = await createTempDatabase();
  upA = await startRecordingUpstream('A');
  upB = await startRecordingUpstream('B');
  ctl1 = await startControllerProcess({ id: 'ctl-1', databaseUrl: db.url, env: { CHANGE_FEED_POLL_MS: '500' } });
  ctl2 = await startControllerProcess({ id: 'ctl-2', databaseUrl: db.url, env: { CHANGE_FEED_POLL_MS: '500' } });
  await withOutput(ctl1.proc, waitControllerReady(ctl1));
  await withOutput(ctl2.proc, waitControllerReady(ctl2));
  rt1 = await startRuntimeProcess({ id: 'rt-1', controllers: ctl1.grpc });
  rt2 = await startRuntimeProcess({ id: 'rt-2', controllers: ctl2.grpc });
  for (const role of ['deployer', 'viewer', 'admin'] as const) {
    const res = await http('POST', `${ctl1.http}/v1/tokens`, { headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ name: `ops-${role}`, role }) });
    expect(res.status, res.body).toBe(201);
    token[role] = res.json().token;
  }
  await served(0);
});

afterAll(async () => {
  await stopAll();
  await upA?.close();
  await upB?.close();
  await db?.drop();
});

describe('declarative apply, dry run, revisions and rollback (two controllers, two runtimes)', () => {
  it('a dry run answers the changes and writes nothing', async () => {
    const v = await configVersion(ctl1);
    const res = await call(ctl1, 'POST', '/v1/apply?dryRun=true', token.deployer, { apis: [simpleApi('orders', upA.url), simpleApi('users', upA.url)] });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({ dryRun: true, configVersion: v, changes: { create: ['orders', 'users'], update: [], delete: [], unchanged: [] } });
    expect((await call(ctl2, 'GET', '/v1/apis', token.viewer)).json().items).toEqual([]);
    expect(await configVersion(ctl2)).toBe(v);
    expect((await call(ctl1, 'GET', '/v1/audit', token.admin)).json().items.filter((e: any) => e.action === 'apply')).toEqual([]);
  });

  it('applies a set as one config version served by both runtimes; re-applying on the other replica makes none', async () => {
    const v = await configVersion(ctl1);
    const res = await call(ctl1, 'POST', '/v1/apply', token.deployer, { apis: [simpleApi('orders', upA.url), simpleApi('users', upA.url)] });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({ dryRun: false, configVersion: v + 1, changes: { create: ['orders', 'users'] } });
    await served(v + 1);
    expect(await reached('/orders/1')).toEqual(['A', 'A']);
    expect(await reached('/users/1')).toEqual(['A', 'A']);

    const again = await call(ctl2, 'POST', '/v1/apply', token.deployer, { apis: [simpleApi('users', upA.url), simpleApi('orders', upA.url)] });
    expect(again.json()).toMatchObject({ configVersion: v + 1, changes: { create: [], update: [], delete: [], unchanged: ['orders', 'users'] } });
    expect(await configVersion(ctl1)).toBe(v + 1);

    // The audit log names the token and the request, one entry per API the apply changed.
    const audit = (await call(ctl2, 'GET', '/v1/audit', token.admin)).json().items.filter((e: any) => e.action === 'apply');
    expect(audit.map((e: any) => [e.apiName, e.actor, e.requestId, e.configVersion]).sort()).toEqual([
      ['orders', 'ops-deployer', res.headers['x-request-id'], v + 1],
      ['users', 'ops-deployer', res.headers['x-request-id'], v + 1],
    ]);
  });

  it('prunes the APIs missing from the set', async () => {
    const res = await call(ctl2, 'POST', '/v1/apply', token.deployer, { apis: [simpleApi('orders', upA.url)], prune: true });
    expect(res.status, res.body).toBe(200);
    expect(res.json().changes).toEqual({ create: [], update: [], delete: ['users'], unchanged: ['orders'] });
    await served(res.json().configVersion);
    expect(await reached('/users/1')).toEqual(['404', '404']);
    expect(await reached('/orders/1')).toEqual(['A', 'A']);
  });

  it('rolls a changed API back; the runtimes serve the old content again', async () => {
    const put = await call(ctl1, 'PUT', '/v1/apis/orders', token.deployer, simpleApi('orders', upB.url));
    expect(put.status, put.body).toBe(200);
    await served(put.json().configVersion);
    expect(await reached('/orders/1')).toEqual(['B', 'B']);

    const history = (await call(ctl2, 'GET', '/v1/apis/orders/revisions', token.viewer)).json();
    expect(history.items.map((r: any) => [r.revision, r.actor])).toEqual([
      [2, 'ops-deployer'],
      [1, 'ops-deployer'],
    ]);
    const rollback = await call(ctl2, 'POST', '/v1/apis/orders/rollback', token.deployer, { revision: 1 });
    expect(rollback.status, rollback.body).toBe(200);
    expect(rollback.json()).toMatchObject({ revision: 3, rolledBackTo: 1, changed: true });
    await served(rollback.json().configVersion);
    expect(await reached('/orders/1')).toEqual(['A', 'A']);
    const audit = (await call(ctl1, 'GET', '/v1/audit?api=orders&limit=1', token.admin)).json().items[0];
    expect(audit).toMatchObject({ action: 'rollback', actor: 'ops-deployer', revision: 3, requestId: rollback.headers['x-request-id'] });
    // A viewer reads history but cannot roll back.
    expect((await call(ctl1, 'POST', '/v1/apis/orders/rollback', token.viewer, { revision: 2 })).status).toBe(403);
  });

  it('brings a deleted API back with a rollback', async () => {
    const history = (await call(ctl1, 'GET', '/v1/apis/users/revisions', token.viewer)).json();
    expect(history.items.map((r: any) => [r.revision, r.deleted])).toEqual([
      [2, true],
      [1, false],
    ]);
    const rollback = await call(ctl1, 'POST', '/v1/apis/users/rollback', token.deployer, { revision: 1 });
    expect(rollback.status, rollback.body).toBe(201);
    expect(rollback.json()).toMatchObject({ revision: 3, rolledBackTo: 1 });
    await served(rollback.json().configVersion);
    expect(await reached('/users/1')).toEqual(['A', 'A']);
  });

  it('export → apply is a no-op; secrets in clear only for an admin', async () => {
    const exported = await call(ctl2, 'GET', '/v1/export', token.viewer);
    expect(exported.status).toBe(200);
    expect(exported.json().apis.map((a: any) => a.name)).toEqual(['orders', 'users']);
    const v = await configVersion(ctl1);
    const applied = await call(ctl1, 'POST', '/v1/apply', token.deployer, { ...exported.json<Record<string, unknown>>(), prune: true }, { 'if-match': String(exported.headers['etag']) });
    expect(applied.status, applied.body).toBe(200);
    expect(applied.json()).toMatchObject({ configVersion: v, changes: { create: [], update: [], delete: [], unchanged: ['orders', 'users'] } });
    expect(await configVersion(ctl2)).toBe(v);
    expect((await call(ctl1, 'GET', '/v1/export?includeSecrets=true', token.deployer)).status).toBe(403);
    expect((await call(ctl1, 'GET', '/v1/export?includeSecrets=true', token.admin)).status).toBe(200);
  });

  it('refuses an apply whose If-Match config version is stale (412), changing nothing', async () => {
    const exported = await call(ctl1, 'GET', '/v1/export', token.viewer);
    const put = await call(ctl2, 'PUT', '/v1/apis/users', token.deployer, simpleApi('users', upB.url));
    expect(put.status, put.body).toBe(200);
    const stale = await call(ctl1, 'POST', '/v1/apply', token.deployer, exported.json(), { 'if-match': String(exported.headers['etag']) });
    expect(stale.status).toBe(412);
    expect(stale.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(stale.json()).toMatchObject({ code: 'GW_PRECONDITION_FAILED' });
    expect(await configVersion(ctl1)).toBe(put.json().configVersion);
    await served(put.json().configVersion);
    expect(await reached('/users/1')).toEqual(['B', 'B']);
  });

  it('rejects a set with one invalid API among 100, naming its index and field', async () => {
    const v = await configVersion(ctl1);
    const apis = Array.from({ length: 100 }, (_, i) => simpleApi(`svc-${i}`, upA.url));
    apis[42] = simpleApi('svc-42', 'ftp://not-http');
    const res = await call(ctl2, 'POST', '/v1/apply', token.deployer, { apis });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'GW_VALIDATION', errors: [{ path: '/apis/42/upstream/targets/0/url' }] });
    expect(await configVersion(ctl2)).toBe(v);
    expect((await call(ctl1, 'GET', '/v1/apis/svc-0', token.viewer)).status).toBe(404);
  });
});
