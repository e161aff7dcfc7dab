// POST /v1/apply, GET /v1/export, PUT ?dryRun=true and the revision/rollback routes, over
// real PostgreSQL with HTTP injected in-process (authentication off: the role rules are
// the route × role matrix's job, route-access.spec.ts).
import { randomBytes } from 'node:crypto';
import { REDACTED } from '@gw/api-schema';
import { auditRepository, createApiStore, createAuditStore, createTokenStore, type ApiStore, type Database } from '@gw/store';
import { createMigratedTempDatabase, type TempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';

const SECRET = randomBytes(32).toString('base64url');

const api = (name: string, url = 'http://10.0.0.7:8080', extra: Record<string, unknown> = {}) => ({ name, basePath: `/${name}`, upstream: { targets: [{ url }] }, ...extra });
const withSecret = (name: string, k: string) => api(name, undefined, { policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k }] } } } });

let temp: TempDatabase;
let database: Database;
let store: ApiStore;
let app: express.Express;

function send(method: 'PUT' | 'POST', url: string, body: unknown, headers: Record<string, string> = {}) {
  return inject(app, { method, url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
}
const get = (url: string) => inject(app, { method: 'GET', url });
const version = async () => (await store.readConfigState()).version;

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase({ prefix: 'gw_test_apply_routes', poolMax: 4 }));
  store = createApiStore(database.db);
  app = createControllerHttpApp({ store, tokens: createTokenStore(database.db), audit: createAuditStore(database.db), authDisabled: true, readiness: () => ({ ready: true, checks: {} }) });
});

afterAll(async () => {
  await database?.close();
  await temp?.drop();
});

describe('POST /v1/apply', () => {
  it('applies a set with one config version, answers the changes and a diff per changed API; re-applying is a no-op', async () => {
    const v0 = await version();
    // A fresh database is at version 0, and "0" is a tag If-Match can name.
    expect(v0).toBe(0);
    const res = await send('POST', '/v1/apply', { apis: [api('orders'), withSecret('users', SECRET)] }, { 'if-match': '"0"' });
    expect(res.statusCode, res.payload).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ dryRun: false, configVersion: v0 + 1, changes: { create: ['orders', 'users'], update: [], delete: [], unchanged: [] }, revisions: { orders: 1, users: 1 } });
    expect(body.diff.orders).toEqual([{ op: 'add', path: '', value: expect.objectContaining({ name: 'orders' }) }]);
    expect(res.payload).not.toContain(SECRET);
    expect(res.headers['x-config-version']).toBe(String(v0 + 1));

    const again = await send('POST', '/v1/apply', { apis: [api('orders'), withSecret('users', SECRET)] });
    expect(again.json()).toMatchObject({ configVersion: v0 + 1, changes: { create: [], update: [], delete: [], unchanged: ['orders', 'users'] }, diff: {} });
    expect(await version()).toBe(v0 + 1);
  });

  it('dry run answers the difference field by field and writes nothing', async () => {
    const v = await version();
    const res = await send('POST', '/v1/apply?dryRun=true', { apis: [api('orders', 'http://10.0.0.8:8080')], prune: true });
    expect(res.statusCode, res.payload).toBe(200);
    expect(res.json()).toMatchObject({
      dryRun: true,
      configVersion: v,
      changes: { create: [], update: ['orders'], delete: ['users'], unchanged: [] },
      diff: { orders: [{ op: 'replace', path: '/upstream/targets/0/url', from: 'http://10.0.0.7:8080', value: 'http://10.0.0.8:8080' }] },
    });
    expect(res.json().revisions).toBeUndefined();
    expect(await version()).toBe(v);
    expect((await store.getApi('orders'))?.definition.upstream.targets[0]?.url).toBe('http://10.0.0.7:8080');
  });

  it('names the index and field of an invalid API among 100 and of a duplicate name; nothing is written', async () => {
    const v = await version();
    const apis = Array.from({ length: 100 }, (_, i) => api(`svc-${i}`));
    apis[37] = api('svc-37', 'ftp://nope');
    apis[80] = api('svc-3');
    const res = await send('POST', '/v1/apply', { apis });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem.code).toBe('GW_VALIDATION');
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(['/apis/37/upstream/targets/0/url', '/apis/80/name']);
    expect(problem.errors.find((e: { path: string }) => e.path === '/apis/80/name').message).toContain('/apis/3/name');
    expect(await version()).toBe(v);
  });

  it('refuses a route conflict within the set or with an API that stays (409 naming both)', async () => {
    const inSet = await send('POST', '/v1/apply', { apis: [api('a1'), { ...api('a2'), basePath: '/a1' }] });
    expect(inSet.statusCode).toBe(409);
    expect(inSet.json().errors).toEqual([{ path: '/apis/1/basePath', message: 'any host/a1 is already claimed by API "a1" (/apis/0)' }]);
    const stays = await send('POST', '/v1/apply', { apis: [{ ...api('a3'), basePath: '/orders' }] });
    expect(stays.statusCode).toBe(409);
    expect(stays.json().errors[0].message).toContain('API "orders"');
    // With prune, "orders" does not stay, so the same route is free.
    const pruned = await send('POST', '/v1/apply?dryRun=true', { apis: [{ ...api('a3'), basePath: '/orders' }], prune: true });
    expect(pruned.statusCode, pruned.payload).toBe(200);
  });

  it('honours If-Match on the config version (412 problem+json when stale)', async () => {
    const v = await version();
    const stale = await send('POST', '/v1/apply', { apis: [api('late')] }, { 'if-match': `"${v - 1}"` });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('GW_PRECONDITION_FAILED');
    const garbage = await send('POST', '/v1/apply', { apis: [api('late')] }, { 'if-match': '"abc"' });
    expect(garbage.statusCode).toBe(412);
    expect(await store.getApi('late')).toBeUndefined();
    const ok = await send('POST', '/v1/apply', { apis: [api('late')] }, { 'if-match': `"${v}"` });
    expect(ok.statusCode, ok.payload).toBe(200);
  });

  it('refuses a malformed body and unknown query parameters with pointers', async () => {
    const res = await send('POST', '/v1/apply', { apis: {}, prune: 'yes', extra: 1 });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(['/extra', '/prune', '/apis']);
    expect((await send('POST', '/v1/apply?dryrun=true', { apis: [] })).statusCode).toBe(400);
  });
});

describe('POST /v1/apply at fleet size', () => {
  it('takes 10 000 APIs in one request (one version), re-applies them as a no-op, and reads bodies past PUT’s 1 MiB', async () => {
    const apis = Array.from({ length: 10_000 }, (_, i) => api(`fleet-${String(i).padStart(5, '0')}`));
    const v = await version();
    const res = await send('POST', '/v1/apply', { apis });
    expect(res.statusCode, res.payload.slice(0, 500)).toBe(200);
    expect(res.json().changes.create).toHaveLength(10_000);
    expect(res.json().configVersion).toBe(v + 1);
    const again = await send('POST', '/v1/apply?dryRun=true', { apis });
    expect(again.json().changes.unchanged).toHaveLength(10_000);
    expect(again.json().configVersion).toBe(v + 1);
    // Past PUT's 1 MiB and within 20 MiB: read and validated (the padding is refused as a field, not as a size).
    const padded = JSON.stringify({ apis: [], padding: 'x'.repeat(5 * 1_048_576) });
    const big = await inject(app, { method: 'POST', url: '/v1/apply?dryRun=true', headers: { 'content-type': 'application/json' }, payload: padded });
    expect(big.statusCode).toBe(400);
    expect(big.json().errors).toEqual([{ path: '/padding', message: 'unknown field' }]);
    // Past 20 MiB: 413, over a real socket in body-limit-socket.spec.ts.
    // Prune them again so the following tests see a small store.
    const rest = (await store.listApis()).map((a) => a.definition).filter((d) => !d.name.startsWith('fleet-'));
    expect((await send('POST', '/v1/apply', { apis: rest, prune: true })).json().changes.delete).toHaveLength(10_000);
  }, 120_000);
});

describe('GET /v1/export', () => {
  it('answers every API in apply format sorted by name, secrets masked; applying it back is a no-op that keeps the secrets', async () => {
    const res = await get('/v1/export');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ apis: { name: string }[] }>();
    expect(Object.keys(body)).toEqual(['apis']);
    expect(body.apis.map((a) => a.name)).toEqual([...body.apis.map((a) => a.name)].sort());
    expect(res.payload).toContain(REDACTED);
    expect(res.payload).not.toContain(SECRET);
    const v = await version();
    expect(res.headers['etag']).toBe(`"${v}"`);

    const back = await send('POST', '/v1/apply', { ...body, prune: true }, { 'if-match': String(res.headers['etag']) });
    expect(back.statusCode, back.payload).toBe(200);
    expect(back.json()).toMatchObject({ configVersion: v, changes: { create: [], update: [], delete: [] } });
    expect((await store.getApi('users'))?.definition.policies.auth?.jwt?.keys[0]?.k).toBe(SECRET);
    expect(await version()).toBe(v);
  });

  it('includes secrets only when asked (the admin rule is the matrix’s) and refuses an unknown parameter', async () => {
    expect((await get('/v1/export?includeSecrets=true')).payload).toContain(SECRET);
    expect((await get('/v1/export?includeSecrets=yes')).statusCode).toBe(400);
    expect((await get('/v1/export?secrets=true')).statusCode).toBe(400);
  });
});

describe('PUT /v1/apis/{name}?dryRun=true', () => {
  it('validates, checks If-Match and route conflicts, answers the diff, writes nothing', async () => {
    const v = await version();
    const res = await send('PUT', '/v1/apis/orders?dryRun=true', api('orders', 'http://10.0.0.9:8080'));
    expect(res.statusCode, res.payload).toBe(200);
    expect(res.json()).toMatchObject({
      dryRun: true,
      action: 'update',
      revision: 1,
      configVersion: v,
      diff: [{ op: 'replace', path: '/upstream/targets/0/url', from: 'http://10.0.0.7:8080', value: 'http://10.0.0.9:8080' }],
    });
    expect((await send('PUT', '/v1/apis/orders?dryRun=true', api('orders'))).json()).toMatchObject({ action: 'unchanged', diff: [] });
    expect((await send('PUT', '/v1/apis/fresh?dryRun=true', api('fresh'))).json()).toMatchObject({ action: 'create', revision: null });
    const invalid = await send('PUT', '/v1/apis/orders?dryRun=true', api('orders', 'ftp://x'));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors[0].path).toBe('upstream.targets[0].url');
    expect((await send('PUT', '/v1/apis/orders?dryRun=true', api('orders'), { 'if-match': '"9"' })).statusCode).toBe(412);
    const conflict = await send('PUT', '/v1/apis/other?dryRun=true', { ...api('other'), basePath: '/orders' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('GW_ROUTE_CONFLICT');
    expect((await send('PUT', '/v1/apis/orders?dryRun=maybe', api('orders'))).statusCode).toBe(400);
    expect(await version()).toBe(v);
    expect(await store.getApi('fresh')).toBeUndefined();
  });
});

describe('revisions and rollback', () => {
  it('lists revisions newest first with paging, reads one with secrets masked, 404 for an unknown API or revision', async () => {
    await send('PUT', '/v1/apis/hist', api('hist', 'http://10.0.0.1:8080'));
    await send('PUT', '/v1/apis/hist', withSecret('hist', SECRET));
    await send('PUT', '/v1/apis/hist', api('hist', 'http://10.0.0.3:8080'));
    const page = await get('/v1/apis/hist/revisions?limit=2');
    expect(page.statusCode).toBe(200);
    const body = page.json();
    expect(body.items.map((r: { revision: number }) => r.revision)).toEqual([3, 2]);
    expect(body.items[0]).toMatchObject({ actor: 'anonymous', deleted: false, configVersion: expect.any(Number), createdAt: expect.any(String) });
    const rest = (await get(`/v1/apis/hist/revisions?limit=2&cursor=${body.next}`)).json();
    expect(rest).toMatchObject({ items: [{ revision: 1 }], next: null });
    const two = await get('/v1/apis/hist/revisions/2');
    expect(two.json()).toMatchObject({ name: 'hist', revision: 2, api: { policies: { auth: { jwt: { keys: [{ k: REDACTED }] } } } } });
    expect(two.payload).not.toContain(SECRET);
    expect((await get('/v1/apis/nobody/revisions')).statusCode).toBe(404);
    expect((await get('/v1/apis/hist/revisions/99')).statusCode).toBe(404);
    expect((await get('/v1/apis/hist/revisions/x')).statusCode).toBe(404);
  });

  it('rolls back as a new revision (secrets and audit included); to the current content it is a no-op', async () => {
    const v = await version();
    const res = await send('POST', '/v1/apis/hist/rollback', { revision: 2 });
    expect(res.statusCode, res.payload).toBe(200);
    expect(res.json()).toMatchObject({ revision: 4, rolledBackTo: 2, changed: true, configVersion: v + 1 });
    expect(res.payload).not.toContain(SECRET);
    expect((await store.getApi('hist'))?.definition.policies.auth?.jwt?.keys[0]?.k).toBe(SECRET);
    const audit = await auditRepository.listAudit(database.db, 'hist');
    expect(audit.at(-1)).toMatchObject({ action: 'rollback', revision: 4, actor: 'anonymous', requestId: res.headers['x-request-id'] });
    const noop = await send('POST', '/v1/apis/hist/rollback', { revision: 2 });
    expect(noop.json()).toMatchObject({ revision: 4, changed: false, configVersion: v + 1 });
    expect(await version()).toBe(v + 1);
  });

  it('brings a deleted API back (201), refuses a tombstone revision, a bad body and an unknown revision', async () => {
    expect((await inject(app, { method: 'DELETE', url: '/v1/apis/hist' })).statusCode).toBe(200);
    const back = await send('POST', '/v1/apis/hist/rollback', { revision: 1 });
    expect(back.statusCode, back.payload).toBe(201);
    expect(back.json()).toMatchObject({ revision: 6, rolledBackTo: 1, changed: true });
    expect((await store.getApi('hist'))?.definition.upstream.targets[0]?.url).toBe('http://10.0.0.1:8080');
    expect((await send('POST', '/v1/apis/hist/rollback', { revision: 5 })).statusCode).toBe(409);
    const bad = await send('POST', '/v1/apis/hist/rollback', { revision: 'one', x: 1 });
    expect(bad.statusCode).toBe(400);
    // Validated with the schema the OpenAPI document shows: declared fields first, unknown ones after (as for API definitions).
    expect(bad.json().errors).toEqual([
      { path: '/revision', message: 'must be a number, not a string' },
      { path: '/x', message: 'unknown field' },
    ]);
    expect((await send('POST', '/v1/apis/hist/rollback', { revision: 77 })).statusCode).toBe(404);
    expect((await send('POST', '/v1/apis/hist/rollback', { revision: 1 }, { 'if-match': '"2"' })).statusCode).toBe(412);
  });
});
