// GET /v1/audit over real PostgreSQL: changes made with named tokens name the token and
// the request id of the response; filters, the cursor and bad queries.
import { FleetStatusService } from '@gw/fleet-status';
import { createApiStore, createAuditStore, createFleetStore, createTokenStore } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePageCursor as decodeAuditCursor, encodePageCursor as encodeAuditCursor } from './page-cursor.js';
import { createControllerHttpApp } from './controller-http-app.js';
import { createEpochRouter } from './epoch-routes.js';

const BOOTSTRAP = 'audit-spec-bootstrap';
const bootstrap = { authorization: `Bearer ${BOOTSTRAP}` };
const api = (name: string) => ({ name, basePath: `/${name}`, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } });

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  apiName: string | null;
  revision: number | null;
  configVersion: number;
  epoch: number | null;
  tokenName: string | null;
  requestId: string | null;
}
interface Page {
  items: Entry[];
  next: string | null;
}

let temp: MigratedTempDatabase;
let fleet: FleetStatusService;
let app: express.Express;
let deployer: string;
let operator: string;
/** X-Request-Id of each change, by what it did. */
const requestIds: Record<string, string> = {};

async function audit(query = '', headers: Record<string, string> = bootstrap): Promise<{ status: number; body: any }> {
  const res = await inject(app, { method: 'GET', url: `/v1/audit${query}`, headers });
  return { status: res.statusCode, body: res.json() };
}

async function newToken(name: string, role: string): Promise<string> {
  const res = await inject(app, { method: 'POST', url: '/v1/tokens', headers: { ...bootstrap, 'content-type': 'application/json' }, payload: JSON.stringify({ name, role }) });
  expect(res.statusCode).toBe(201);
  requestIds[`create ${name}`] = String(res.headers['x-request-id']);
  return res.json<{ token: string }>().token;
}

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_audit_api', poolMax: 4 });
  const { db } = temp.database;
  fleet = new FleetStatusService({ store: createFleetStore(db), controllerId: 'ctl-1', zone: 'a', localSnapshot: () => undefined, staleAfterMs: 15_000 });
  app = createControllerHttpApp({
    store: createApiStore(db),
    tokens: createTokenStore(db),
    audit: createAuditStore(db),
    adminToken: BOOTSTRAP,
    readiness: () => ({ ready: true, checks: {} }),
    extraRoutes: (a) => void a.use(createEpochRouter({ fleet })),
  });
  deployer = await newToken('ci-deployer', 'deployer');
  operator = await newToken('ops-admin', 'admin');
  const deploy = { authorization: `Bearer ${deployer}`, 'content-type': 'application/json' };
  for (const name of ['orders', 'billing']) {
    const put = await inject(app, { method: 'PUT', url: `/v1/apis/${name}`, headers: deploy, payload: JSON.stringify(api(name)) });
    expect(put.statusCode).toBe(201);
    requestIds[`put ${name}`] = String(put.headers['x-request-id']);
  }
  const del = await inject(app, { method: 'DELETE', url: '/v1/apis/orders', headers: { ...deploy, 'x-request-id': 'delete-orders-1' } });
  expect(del.statusCode).toBe(200);
  requestIds['delete orders'] = String(del.headers['x-request-id']);
  const epoch = await inject(app, { method: 'POST', url: '/v1/config/epoch', headers: { authorization: `Bearer ${operator}` } });
  expect(epoch.statusCode).toBe(200);
  requestIds['epoch'] = String(epoch.headers['x-request-id']);
  const revoke = await inject(app, { method: 'DELETE', url: '/v1/tokens/ci-deployer', headers: { authorization: `Bearer ${operator}` } });
  expect(revoke.statusCode).toBe(204);
  requestIds['revoke ci-deployer'] = String(revoke.headers['x-request-id']);
});

afterAll(async () => {
  await fleet?.stop();
  await temp?.dispose();
});

describe('GET /v1/audit', () => {
  it('names the token and the request id of every change, newest first', async () => {
    const { status, body } = await audit();
    expect(status).toBe(200);
    const page = body as Page;
    expect(page.next).toBeNull();
    expect(page.items.map((e) => [e.action, e.actor, e.apiName ?? e.tokenName ?? e.epoch, e.requestId])).toEqual([
      ['token_revoke', 'ops-admin', 'ci-deployer', requestIds['revoke ci-deployer']],
      ['epoch', 'ops-admin', 2, requestIds['epoch']],
      ['delete', 'ci-deployer', 'orders', 'delete-orders-1'],
      ['put', 'ci-deployer', 'billing', requestIds['put billing']],
      ['put', 'ci-deployer', 'orders', requestIds['put orders']],
      ['token_create', 'admin', 'ops-admin', requestIds['create ops-admin']],
      ['token_create', 'admin', 'ci-deployer', requestIds['create ci-deployer']],
    ]);
    const [revoke, epoch, del, putBilling, , createOps] = page.items;
    // Token changes record the version current at the time; they do not bump it.
    expect(createOps!.configVersion).toBe(0);
    expect(putBilling!.configVersion).toBe(2);
    expect(del!.configVersion).toBe(3);
    expect(revoke!.configVersion).toBe(epoch!.configVersion);
    expect(page.items.map((e) => e.id)).toEqual([...page.items.map((e) => e.id)].sort((a, b) => b - a));
  });

  it('filters by api, actor and since', async () => {
    expect(((await audit('?api=orders')).body as Page).items.map((e) => e.action)).toEqual(['delete', 'put']);
    expect(((await audit('?actor=ops-admin')).body as Page).items.map((e) => e.action)).toEqual(['token_revoke', 'epoch']);
    expect(((await audit('?actor=ci-deployer&api=billing')).body as Page).items).toHaveLength(1);
    const all = ((await audit()).body as Page).items;
    const since = all[2]!.at;
    const recent = ((await audit(`?since=${encodeURIComponent(since)}`)).body as Page).items;
    expect(recent.every((e) => Date.parse(e.at) >= Date.parse(since))).toBe(true);
    expect(recent.map((e) => e.id)).toContain(all[2]!.id);
    expect(((await audit('?since=2999-01-01T00:00:00Z')).body as Page).items).toEqual([]);
  });

  it('pages with an opaque cursor until next is null', async () => {
    const all = ((await audit()).body as Page).items;
    const seen: number[] = [];
    let cursor: string | null = '';
    for (let i = 0; i < 10 && cursor !== null; i++) {
      const page = (await audit(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).body as Page;
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual(all.map((e) => e.id));
    // A page exactly as long as what is left says there is no next one.
    expect(((await audit(`?limit=${all.length}`)).body as Page).next).toBeNull();
    expect(((await audit(`?limit=${all.length - 1}`)).body as Page).next).toBe(encodeAuditCursor(all[all.length - 2]!.id));
  });

  it.each([
    ['?limit=0', ['limit']],
    ['?limit=1001', ['limit']],
    ['?limit=ten', ['limit']],
    ['?since=yesterday', ['since']],
    ['?since=2026-01-01', ['since']],
    ['?cursor=not-ours', ['cursor']],
    ['?api=Not%20An%20Api', ['api']],
    ['?actor=', ['actor']],
    ['?user=x', ['user']],
    ['?limit=1&limit=2', ['limit']],
    ['?limit=0&since=x&cursor=%%%', ['limit', 'since', 'cursor']],
  ])('answers %s with 400 problem+json at the field paths', async (query, paths) => {
    const res = await inject(app, { method: 'GET', url: `/v1/audit${query}`, headers: bootstrap });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json<{ code: string; errors: { path: string }[] }>();
    expect(problem.code).toBe('GW_BAD_REQUEST');
    expect(problem.errors.map((e) => e.path).sort()).toEqual([...paths].sort());
  });

  it('is admin only', async () => {
    const viewer = await newToken('audit-viewer', 'viewer');
    expect((await audit('', { authorization: `Bearer ${viewer}` })).status).toBe(403);
    expect((await audit('', { authorization: `Bearer ${operator}` })).status).toBe(200);
  });
});

describe('audit cursor', () => {
  it('round-trips and refuses anything else', () => {
    expect(decodeAuditCursor(encodeAuditCursor(42))).toBe(42);
    expect(decodeAuditCursor('42')).toBeUndefined();
    expect(decodeAuditCursor(Buffer.from('before:-1').toString('base64url'))).toBeUndefined();
  });
});
