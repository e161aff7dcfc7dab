// The deploy API in-process: requests are injected with light-my-request, no socket (the
// body-limit cases whose subject is the socket are in body-limit-socket.spec.ts).
import { once } from 'node:events';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { API_DEFAULTS } from '@gw/api-schema';
import { recordingLogger } from '@gw/logging/testing';
import { createApiStore, createAuditStore, createDatabase, createTokenStore, type ApiStore, type AuditStore, type Database, type TokenStore } from '@gw/store';
import { createMigratedTempDatabase, createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { closeServer, freePort } from '@gw/test-kit';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createControllerHttpApp, type ControllerHttpAppOptions } from './controller-http-app.js';
import { declareRoute } from './route-access.js';

const SMALLEST = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };
const TOKEN = 's3cret-admin-token';

type Injected = inject.Response;

/** A migrated temp database with a store over it; `dispose` closes the pool and drops the database. */
async function realStore(): Promise<{ store: ApiStore; stores: Stores; dispose(): Promise<void> }> {
  const { database, dispose } = await createMigratedTempDatabase({ prefix: 'gw_test_deploy_api', poolMax: 4 });
  const stores = storesOver(database);
  return { store: stores.store, stores, dispose };
}

type Stores = Pick<ControllerHttpAppOptions, 'store' | 'tokens' | 'audit'>;

function storesOver(database: Database): Stores {
  return { store: createApiStore(database.db), tokens: createTokenStore(database.db), audit: createAuditStore(database.db) };
}

/** Token and audit stores that fail if used: for apps whose subject is elsewhere. */
const unusedTokens = new Proxy({} as TokenStore, { get: () => () => Promise.reject(new Error('the token store must not be used here')) });
const unusedAudit = new Proxy({} as AuditStore, { get: () => () => Promise.reject(new Error('the audit store must not be used here')) });

const ready: ControllerHttpAppOptions['readiness'] = () => ({ ready: true, checks: { database: 'ok' } });

function request(app: express.Express, method: string, url: string, headers: Record<string, string> = {}): Promise<Injected> {
  return inject(app, { method, url, headers });
}

function put(app: express.Express, name: string, body: unknown, headers: Record<string, string> = {}): Promise<Injected> {
  return inject(app, {
    method: 'PUT',
    url: `/v1/apis/${name}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

/** Asserts the response is a well-formed problem document with this status and code, and returns it. */
function expectProblem(res: Injected, status: number, code: string): Problem {
  expect({ status: res.statusCode, body: res.payload }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const doc = res.json<Problem>();
  expect(doc).toMatchObject({ status, code, type: `urn:gw:problem:${code.toLowerCase()}` });
  expect(typeof doc.title).toBe('string');
  expect(typeof doc.detail).toBe('string');
  expect(doc.requestId).toBe(res.headers['x-request-id']);
  return doc;
}

describe('deploy API on PostgreSQL', () => {
  let backend: Awaited<ReturnType<typeof realStore>>;
  let app: express.Express;
  const logger = recordingLogger();

  beforeAll(async () => {
    backend = await realStore();
    app = createControllerHttpApp({ ...backend.stores, authDisabled: true, readiness: ready, logger });
  });
  afterAll(async () => {
    await backend?.dispose();
  });

  it('creates with 201, then updates with 200; revision and configVersion increase', async () => {
    const created = await put(app, 'orders', SMALLEST);
    expect(created.statusCode).toBe(201);
    expect(created.headers['content-type']).toMatch(/^application\/json/);
    expect(created.headers['location']).toBe('/v1/apis/orders');
    const first = created.json() as { api: unknown; revision: number; configVersion: number; createdAt: string; updatedAt: string };
    // The stored, normalized definition: every default explicit.
    expect(first.api).toMatchObject({
      name: 'orders',
      basePath: '/orders',
      hosts: [],
      stripBasePath: true,
      routes: [],
      upstream: {
        targets: [{ url: 'http://10.0.0.7:8080', weight: 1, zone: null }],
        timeouts: API_DEFAULTS.timeouts,
        loadBalancing: API_DEFAULTS.loadBalancing,
        retries: API_DEFAULTS.retries,
        healthCheck: null,
        outlierDetection: API_DEFAULTS.outlierDetection,
        circuitBreaker: API_DEFAULTS.circuitBreaker,
        hostRewrite: null,
      },
    });
    expect(first.revision).toBe(1);
    expect(created.headers['etag']).toBe('"1"');
    expect(created.headers['x-config-version']).toBe(String(first.configVersion));
    expect(Number.isNaN(Date.parse(first.createdAt))).toBe(false);

    const updated = await put(app, 'orders', { ...SMALLEST, stripBasePath: false });
    expect(updated.statusCode).toBe(200);
    expect(updated.headers['location']).toBeUndefined();
    const second = updated.json() as typeof first & { api: { stripBasePath: boolean } };
    expect(second.revision).toBe(2);
    expect(second.configVersion).toBeGreaterThan(first.configVersion);
    expect(second.api.stripBasePath).toBe(false);
    expect(second.createdAt).toBe(first.createdAt);
    expect(updated.headers['etag']).toBe('"2"');
    expect(updated.headers['x-config-version']).toBe(String(second.configVersion));
    expect(logger.records.some((r) => r.msg === 'API written' && r.fields['actor'] === 'anonymous' && r.fields['api'] === 'orders')).toBe(true);
  });

  it('takes the name from the path when the body omits it', async () => {
    const { name: _omitted, ...body } = SMALLEST;
    // Its own base path: a second API on /orders would be a route conflict (409).
    const res = await put(app, 'nameless', { ...body, basePath: '/nameless' });
    expect(res.statusCode).toBe(201);
    expect((res.json() as { api: { name: string } }).api.name).toBe('nameless');
  });

  it('gets one API with its ETag, and answers 304 to a matching If-None-Match', async () => {
    await put(app, 'catalog', { ...SMALLEST, name: 'catalog', basePath: '/catalog', hosts: ['Shop.Example'] });
    const res = await request(app, 'GET', '/v1/apis/catalog');
    expect(res.statusCode).toBe(200);
    const etag = res.headers['etag'];
    expect(etag).toBe('"1"');
    const body = res.json() as { api: { name: string; hosts: string[] }; revision: number; createdAt: string; updatedAt: string };
    expect(body).toMatchObject({ api: { name: 'catalog', hosts: ['shop.example'] }, revision: 1 });
    expect(Object.keys(body).sort()).toEqual(['api', 'createdAt', 'revision', 'updatedAt']);

    expect((await request(app, 'GET', '/v1/apis/catalog', { 'if-none-match': String(etag) })).statusCode).toBe(304);
    expect((await request(app, 'GET', '/v1/apis/catalog', { 'if-none-match': '"7"' })).statusCode).toBe(200);
  });

  it('lists every API with the current config version', async () => {
    await put(app, 'list-a', { ...SMALLEST, name: 'list-a', basePath: '/list-a' });
    const res = await request(app, 'GET', '/v1/apis');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: { api: { name: string }; revision: number; updatedBy?: string }[]; configVersion: number };
    const names = body.items.map((i) => i.api.name);
    expect(names).toContain('list-a');
    // Each item names who made its current revision (the fleet page shows it; auth is off here: `anonymous`).
    expect(body.items.find((i) => i.api.name === 'list-a')).toMatchObject({ revision: 1, updatedBy: 'anonymous' });
    expect(names).toContain('orders');
    expect(body.configVersion).toBe((await backend.store.readConfigState()).version);
    expect(res.headers['x-config-version']).toBe(String(body.configVersion));
  });

  it('lists in pages with limit and cursor: the pages in order make the whole list, the last one says next: null', async () => {
    for (const name of ['page-c', 'page-a', 'page-B', 'page-b']) await put(app, name, { ...SMALLEST, name, basePath: `/${name}` });
    type Page = { items: { api: { name: string } }[]; configVersion: number; next: string | null };
    const whole = (await request(app, 'GET', '/v1/apis')).json<Page>();
    expect(whole.next).toBeNull();
    expect(whole.items.length).toBeGreaterThanOrEqual(5);
    const paged: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const res = await request(app, 'GET', `/v1/apis?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(res.statusCode).toBe(200);
      const page = res.json<Page>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(res.headers['x-config-version']).toBe(String(page.configVersion));
      paged.push(...page.items.map((i) => i.api.name));
      cursor = page.next;
      if (cursor === null) break;
      expect(page.items).toHaveLength(2);
    }
    expect(cursor).toBeNull();
    expect(paged).toEqual(whole.items.map((i) => i.api.name));
    // Byte order: upper case before lower case.
    expect(paged.indexOf('page-B')).toBeLessThan(paged.indexOf('page-a'));
    // A cursor alone lists the rest.
    const first = (await request(app, 'GET', '/v1/apis?limit=1')).json<Page>();
    const rest = (await request(app, 'GET', `/v1/apis?cursor=${first.next!}`)).json<Page>();
    expect([...first.items, ...rest.items].map((i) => i.api.name)).toEqual(paged);
    expect(rest.next).toBeNull();
  });

  it('refuses a bad limit, a cursor it did not return and unknown parameters on the list, with each problem at its parameter', async () => {
    for (const limit of ['0', '1001', 'x', '-1', '2.5']) {
      expect(expectProblem(await request(app, 'GET', `/v1/apis?limit=${limit}`), 400, 'GW_BAD_REQUEST').errors).toEqual([{ path: 'limit', message: 'must be an integer from 1 to 1000' }]);
    }
    const auditCursor = Buffer.from('before:12', 'utf8').toString('base64url');
    const notAName = Buffer.from('after:../x', 'utf8').toString('base64url');
    for (const cursor of ['%%%', 'bm90LWEtY3Vyc29y', auditCursor, notAName]) {
      expect(expectProblem(await request(app, 'GET', `/v1/apis?limit=5&cursor=${cursor}`), 400, 'GW_BAD_REQUEST').errors).toEqual([{ path: 'cursor', message: 'is not a cursor this API returned' }]);
    }
    expect(expectProblem(await request(app, 'GET', '/v1/apis?zone=a'), 400, 'GW_BAD_REQUEST').errors).toEqual([{ path: 'zone', message: 'unknown query parameter; allowed: limit, cursor' }]);
    expect(expectProblem(await request(app, 'GET', '/v1/apis?limit=1&limit=2'), 400, 'GW_BAD_REQUEST').errors).toEqual([{ path: 'limit', message: 'must be given once' }]);
  });

  it('deletes with 200, then GET answers 404 GW_API_NOT_FOUND and DELETE again 404', async () => {
    const created = (await (await put(app, 'doomed', { ...SMALLEST, name: 'doomed', basePath: '/doomed' })).json()) as { configVersion: number };
    const res = await request(app, 'DELETE', '/v1/apis/doomed');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { name: string; revision: number; configVersion: number };
    expect(body).toEqual({ name: 'doomed', revision: 1, configVersion: created.configVersion + 1 });
    expect(res.headers['x-config-version']).toBe(String(body.configVersion));

    const gone = await request(app, 'GET', '/v1/apis/doomed');
    const problem = expectProblem(gone, 404, 'GW_API_NOT_FOUND');
    expect(problem.instance).toBe('/v1/apis/doomed');
    expectProblem(await request(app, 'DELETE', '/v1/apis/doomed'), 404, 'GW_API_NOT_FOUND');
  });

  it('answers 404 for a name that cannot exist without asking the store', async () => {
    expectProblem(await request(app, 'GET', '/v1/apis/Not_Valid'), 404, 'GW_API_NOT_FOUND');
    expectProblem(await request(app, 'DELETE', '/v1/apis/Not_Valid'), 404, 'GW_API_NOT_FOUND');
  });

  describe('If-Match', () => {
    it('accepts the current revision quoted, unquoted and weak', async () => {
      const body = { ...SMALLEST, name: 'cas', basePath: '/cas' };
      expect((await put(app, 'cas', body)).statusCode).toBe(201);
      expect((await put(app, 'cas', body, { 'if-match': '"1"' })).statusCode).toBe(200);
      expect((await put(app, 'cas', body, { 'if-match': '2' })).statusCode).toBe(200);
      const res = await put(app, 'cas', body, { 'if-match': 'W/"3"' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['etag']).toBe('"4"');
    });

    it('answers 412 on a stale revision and changes nothing', async () => {
      const body = { ...SMALLEST, name: 'stale', basePath: '/stale' };
      await put(app, 'stale', body);
      await put(app, 'stale', body);
      const before = await backend.store.readConfigState();
      expectProblem(await put(app, 'stale', { ...body, basePath: '/changed' }, { 'if-match': '"1"' }), 412, 'GW_PRECONDITION_FAILED');
      expectProblem(await request(app, 'DELETE', '/v1/apis/stale', { 'if-match': '"1"' }), 412, 'GW_PRECONDITION_FAILED');
      expect(await backend.store.readConfigState()).toEqual(before);
      const current = (await request(app, 'GET', '/v1/apis/stale')).json() as { api: { basePath: string }; revision: number };
      expect(current).toMatchObject({ api: { basePath: '/stale' }, revision: 2 });
    });

    it('answers 412 to an If-Match on an API that does not exist yet', async () => {
      expectProblem(await put(app, 'not-yet', { ...SMALLEST, name: 'not-yet' }, { 'if-match': '"1"' }), 412, 'GW_PRECONDITION_FAILED');
      expectProblem(await put(app, 'not-yet', { ...SMALLEST, name: 'not-yet' }, { 'if-match': '*' }), 412, 'GW_PRECONDITION_FAILED');
      expect(await backend.store.getApi('not-yet')).toBeUndefined();
    });

    it('answers 412 to an entity tag that is not a revision', async () => {
      await put(app, 'tagged', { ...SMALLEST, name: 'tagged' });
      expectProblem(await put(app, 'tagged', { ...SMALLEST, name: 'tagged' }, { 'if-match': '"abc"' }), 412, 'GW_PRECONDITION_FAILED');
      expectProblem(await put(app, 'tagged', { ...SMALLEST, name: 'tagged' }, { 'if-match': '"1", "2"' }), 412, 'GW_PRECONDITION_FAILED');
    });

    it('treats If-Match: * as "only if it exists" and deletes with the matching revision', async () => {
      await put(app, 'starred', { ...SMALLEST, name: 'starred', basePath: '/starred' });
      expect((await put(app, 'starred', { ...SMALLEST, name: 'starred', basePath: '/starred' }, { 'if-match': '*' })).statusCode).toBe(200);
      const res = await request(app, 'DELETE', '/v1/apis/starred', { 'if-match': '"2"' });
      expect(res.statusCode).toBe(200);
      expect((res.json() as { revision: number }).revision).toBe(2);
    });
  });
});

describe('invalid requests store nothing', () => {
  let backend: Awaited<ReturnType<typeof realStore>>;
  let app: express.Express;
  let initialVersion: number;

  beforeAll(async () => {
    backend = await realStore();
    app = createControllerHttpApp({ ...backend.stores, authDisabled: true, readiness: ready });
    initialVersion = (await backend.store.readConfigState()).version;
  });
  afterEach(async () => {
    // Every case in this block must leave the database untouched.
    const res = await request(app, 'GET', '/v1/apis');
    expect(res.json()).toEqual({ items: [], configVersion: initialVersion, next: null });
  });
  afterAll(async () => {
    await backend?.dispose();
  });

  it('reports every missing required field with its path', async () => {
    const problem = expectProblem(await put(app, 'orders', { upstream: {} }), 400, 'GW_VALIDATION');
    expect(problem.errors).toEqual([
      { path: 'basePath', message: 'is required' },
      { path: 'upstream.targets', message: 'is required' },
    ]);
    expect(problem.instance).toBe('/v1/apis/orders');
  });

  it('reports a bad target URL at its index', async () => {
    const body = { ...SMALLEST, upstream: { targets: [{ url: 'http://ok:1' }, { url: 'ftp://10.0.0.7' }] } };
    const problem = expectProblem(await put(app, 'orders', body), 400, 'GW_VALIDATION');
    expect(problem.errors).toEqual([{ path: 'upstream.targets[1].url', message: 'must be an absolute URL starting with http:// or https://' }]);
  });

  it('reports wrong types and unknown fields together', async () => {
    const body = { ...SMALLEST, stripBasePath: 'no', hosts: [1], upstream: { targets: [{ url: 'http://a', weight: 'x', tls: true }] }, owner: 'me' };
    const problem = expectProblem(await put(app, 'orders', body), 400, 'GW_VALIDATION');
    expect(problem.errors).toEqual([
      { path: 'hosts[0]', message: 'must be a string, not a number' },
      { path: 'stripBasePath', message: 'must be a boolean, not a string' },
      { path: 'upstream.targets[0].weight', message: 'must be an integer, not a string' },
      { path: 'upstream.targets[0].tls', message: 'unknown field' },
      { path: 'owner', message: 'unknown field' },
    ]);
  });

  it('refuses 513 targets', async () => {
    const targets = Array.from({ length: 513 }, (_, i) => ({ url: `http://10.0.${i >> 8}.${i & 255}:8080` }));
    const problem = expectProblem(await put(app, 'orders', { ...SMALLEST, upstream: { targets } }), 400, 'GW_VALIDATION');
    expect(problem.errors).toEqual([{ path: 'upstream.targets', message: 'must have at most 512 items' }]);
  });

  it('refuses an oversized name and base path', async () => {
    const name = 'a'.repeat(64);
    const problem = expectProblem(await put(app, name, { ...SMALLEST, name, basePath: '/' + 'x'.repeat(1024) }), 400, 'GW_VALIDATION');
    expect(problem.errors?.map((e) => e.path)).toEqual(['name', 'basePath']);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"orders"'],
  ])('refuses a JSON body that is %s', async (_label, body) => {
    const problem = expectProblem(await put(app, 'orders', body), 400, 'GW_VALIDATION');
    expect(problem.errors).toEqual([{ path: '', message: expect.stringMatching(/^must be a JSON object/) }]);
  });

  it('refuses a body whose name differs from the path, as a problem at name', async () => {
    const problem = expectProblem(await put(app, 'payments', SMALLEST), 400, 'GW_VALIDATION');
    expect(problem.errors).toEqual([{ path: 'name', message: 'must match the name in the request path ("payments")' }]);
  });

  it('answers 400 GW_BAD_JSON to malformed JSON', async () => {
    const problem = expectProblem(await put(app, 'orders', '{"name": "orders",'), 400, 'GW_BAD_JSON');
    expect(problem.errors).toBeUndefined();
  });

  it.each([
    ['text/plain', '{}'],
    ['application/x-www-form-urlencoded', 'name=orders'],
  ])('answers 415 to Content-Type %s', async (type, body) => {
    const res = await inject(app, { method: 'PUT', url: '/v1/apis/orders', headers: { 'content-type': type }, payload: body });
    expectProblem(res, 415, 'GW_UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 415 when there is no Content-Type at all', async () => {
    const res = await inject(app, { method: 'PUT', url: '/v1/apis/orders', payload: Buffer.from(JSON.stringify(SMALLEST)) });
    expect(res.headers['content-type']).not.toBeUndefined();
    expectProblem(res, 415, 'GW_UNSUPPORTED_MEDIA_TYPE');
  });

  it('accepts application/*+json types with a UTF-8 charset parameter as JSON', async () => {
    // Invalid on purpose: reaching validation proves the media type was accepted.
    const res = await put(app, 'orders', '{}', { 'content-type': 'application/vnd.gw+json; charset=utf-8' });
    expectProblem(res, 400, 'GW_VALIDATION');
  });

  it('answers 413 to a body over the limit declared by Content-Length', async () => {
    const body = JSON.stringify({ ...SMALLEST, padding: 'x'.repeat(1_100_000) });
    expectProblem(await put(app, 'orders', body), 413, 'GW_BODY_TOO_LARGE');
  });

  it('answers 415 to a compressed body and to a non-UTF-8 charset without reading them', async () => {
    expectProblem(await put(app, 'orders', SMALLEST, { 'content-encoding': 'gzip' }), 415, 'GW_UNSUPPORTED_MEDIA_TYPE');
    expectProblem(await put(app, 'orders', SMALLEST, { 'content-type': 'application/json; charset=iso-8859-1' }), 415, 'GW_UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 400 GW_BAD_JSON to an empty body and to invalid UTF-8', async () => {
    expectProblem(await put(app, 'orders', ''), 400, 'GW_BAD_JSON');
    const res = await inject(app, {
      method: 'PUT',
      url: '/v1/apis/orders',
      headers: { 'content-type': 'application/json' },
      payload: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    });
    expectProblem(res, 400, 'GW_BAD_JSON');
  });
});

describe('bearer auth', () => {
  let backend: Awaited<ReturnType<typeof realStore>>;
  let app: express.Express;
  const logger = recordingLogger();

  beforeAll(async () => {
    backend = await realStore();
    app = createControllerHttpApp({ ...backend.stores, readiness: ready, adminToken: TOKEN, logger });
  });
  afterAll(async () => {
    await backend?.dispose();
  });

  it('answers 401 with WWW-Authenticate when the token is missing', async () => {
    const res = await request(app, 'GET', '/v1/apis');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="gateway"');
    expectProblem(res, 401, 'GW_UNAUTHORIZED');
  });

  it.each([
    ['a wrong token', `Bearer wrong-${TOKEN}`],
    ['a token prefix', `Bearer ${TOKEN.slice(0, -1)}`],
    ['another scheme', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['the bare token', TOKEN],
  ])('answers 401 to %s', async (_label, authorization) => {
    const res = await request(app, 'GET', '/v1/apis', { authorization });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="gateway"');
    expectProblem(res, 401, 'GW_UNAUTHORIZED');
  });

  it('refuses an unauthenticated write before reading or validating the body', async () => {
    expectProblem(await put(app, 'orders', '{not json', { authorization: 'Bearer nope' }), 401, 'GW_UNAUTHORIZED');
    expect(await backend.store.listApis()).toEqual([]);
  });

  it('hides unknown /v1 routes behind auth too', async () => {
    expectProblem(await request(app, 'GET', '/v1/nope'), 401, 'GW_UNAUTHORIZED');
    expectProblem(await request(app, 'GET', '/v1/nope', { authorization: `Bearer ${TOKEN}` }), 404, 'GW_NOT_FOUND');
  });

  it('serves the API with the right token (scheme case-insensitive) and records the actor as admin', async () => {
    const list = await request(app, 'GET', '/v1/apis', { authorization: `Bearer ${TOKEN}` });
    expect(list.statusCode).toBe(200);
    const res = await put(app, 'orders', SMALLEST, { authorization: `bearer ${TOKEN}` });
    expect(res.statusCode).toBe(201);
    expect(logger.records.find((r) => r.msg === 'API written')?.fields['actor']).toBe('admin');
  });

  it('never requires the token for health endpoints', async () => {
    const live = await request(app, 'GET', '/health/live');
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const readyRes = await request(app, 'GET', '/health/ready');
    expect(readyRes.statusCode).toBe(200);
  });

  it('refuses an empty or whitespace admin token at construction', () => {
    expect(() => createControllerHttpApp({ ...backend.stores, readiness: ready, adminToken: '' })).toThrow(/must not be empty/);
    expect(() => createControllerHttpApp({ ...backend.stores, readiness: ready, adminToken: 'a b' })).toThrow(/whitespace/);
  });

  it('is secure by default: no admin token and no explicit opt-out is refused, and so are both at once', () => {
    expect(() => createControllerHttpApp({ ...backend.stores, readiness: ready })).toThrow(/adminToken is required/);
    expect(() => createControllerHttpApp({ ...backend.stores, readiness: ready, adminToken: TOKEN, authDisabled: true })).toThrow(/contradict/);
  });
});

describe('database unavailable', () => {
  let database: Database;
  let app: express.Express;
  const logger = recordingLogger();

  beforeAll(async () => {
    const port = await freePort();
    database = createDatabase({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    app = createControllerHttpApp({ ...storesOver(database), authDisabled: true, readiness: ready, logger });
  });
  afterAll(async () => {
    await database?.close();
  });

  it.each([
    ['PUT', '/v1/apis/orders'],
    ['GET', '/v1/apis/orders'],
    ['GET', '/v1/apis'],
    ['DELETE', '/v1/apis/orders'],
  ])('answers %s %s with 503 and Retry-After within 3 s', async (method, path) => {
    const started = Date.now();
    const res = await inject(app, {
      method,
      url: path,
      ...(method === 'PUT' ? { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(SMALLEST) } : {}),
    });
    const problem = expectProblem(res, 503, 'GW_DATABASE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.headers['retry-after']).toBe('2');
    // The connection details stay in the log, not in the answer.
    expect(problem.detail).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres/i);
  });

  it('logs the failure with the request id', async () => {
    const res = await request(app, 'GET', '/v1/apis', { 'x-request-id': 'db-down-1' });
    expectProblem(res, 503, 'GW_DATABASE_UNAVAILABLE');
    expect(logger.records.some((r) => r.level === 'warn' && r.fields['requestId'] === 'db-down-1')).toBe(true);
  });

  it('keeps /health/live up', async () => {
    expect((await request(app, 'GET', '/health/live')).statusCode).toBe(200);
  });
});

describe('every pooled connection busy while the database answers', () => {
  let temp: TempDatabase;
  let database: Database;
  let app: express.Express;

  beforeAll(async () => {
    temp = await createTempDatabase({ prefix: 'gw_test_busy', migrate: true });
    database = createDatabase({ connectionString: temp.url, poolMax: 1, connectionTimeoutMillis: 300 });
    app = createControllerHttpApp({ ...storesOver(database), authDisabled: true, readiness: ready });
  });
  afterAll(async () => {
    await database?.close();
    await temp?.drop();
  });

  it('answers 503 GW_CONTROLLER_BUSY with Retry-After, never "database unavailable", and serves again once a connection is free', async () => {
    const held = await database.pool.connect();
    try {
      const res = await inject(app, { method: 'PUT', url: '/v1/apis/orders', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(SMALLEST) });
      const problem = expectProblem(res, 503, 'GW_CONTROLLER_BUSY');
      expect(res.headers['retry-after']).toBe('1');
      expect(problem.detail).not.toMatch(/unavailable/i);
      expect((await held.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      held.release();
    }
    expect((await put(app, 'orders', SMALLEST)).statusCode).toBe(201);
  });
});

describe('database that accepts connections but never answers', () => {
  let database: Database;
  let app: express.Express;
  const sockets = new Set<Socket>();
  const blackHole = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  beforeAll(async () => {
    blackHole.listen(0, '127.0.0.1');
    await once(blackHole, 'listening');
    const { port } = blackHole.address() as AddressInfo;
    database = createDatabase({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    app = createControllerHttpApp({ ...storesOver(database), authDisabled: true, readiness: ready });
  });
  afterAll(async () => {
    await database?.close();
    for (const s of sockets) s.destroy();
    await closeServer(blackHole);
  });

  it('answers 503 within 3 s', async () => {
    const started = Date.now();
    expectProblem(await request(app, 'GET', '/v1/apis'), 503, 'GW_DATABASE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

/** A store whose every method fails with an unexpected error: only for the 500 path, which a healthy PostgreSQL cannot produce on demand. */
function brokenStore(): ApiStore {
  const fail = () => Promise.reject(new Error('relation "secret_table" does not exist at 10.1.2.3'));
  return { putApi: fail, getApi: fail, listApis: fail, listRouteNeighbours: fail, deleteApi: fail, readConfigState: fail, readDesiredState: fail, applyApis: fail, rollbackApi: fail, listRevisions: fail, getRevision: fail };
}

describe('HTTP behaviour', () => {
  let app: express.Express;
  const logger = recordingLogger();
  let readiness: ControllerHttpAppOptions['readiness'] = ready;

  beforeAll(() => {
    app = createControllerHttpApp({
      store: brokenStore(),
      tokens: unusedTokens,
      audit: unusedAudit,
      authDisabled: true,
      readiness: () => readiness(),
      readinessTimeoutMs: 200,
      logger,
      extraRoutes: (a) => {
        declareRoute(a, '/v1/extra', { get: ['viewer', (_req, res) => void res.json({ extra: true })] });
        declareRoute(a, '/metrics', { get: ['public', (_req, res) => void res.type('text/plain').send('up 1\n')] });
        declareRoute(a, '/v1/extra-boom', {
          get: [
            'viewer',
            () => {
              throw new Error('boom');
            },
          ],
        });
      },
    });
  });

  it('answers 500 GW_INTERNAL without leaking the error, and logs it', async () => {
    const res = await request(app, 'GET', '/v1/apis', { 'x-request-id': 'req-500' });
    const problem = expectProblem(res, 500, 'GW_INTERNAL');
    expect(JSON.stringify(problem)).not.toMatch(/secret_table|10\.1\.2\.3|Error/);
    expect(problem.requestId).toBe('req-500');
    const logged = logger.records.find((r) => r.level === 'error' && r.fields['requestId'] === 'req-500');
    expect((logged?.fields['err'] as Error | undefined)?.message).toMatch(/secret_table/);
  });

  it('echoes a valid X-Request-Id and replaces an invalid one with a UUID', async () => {
    const echoed = await request(app, 'GET', '/health/live', { 'x-request-id': 'abc.DEF_1:2-3' });
    expect(echoed.headers['x-request-id']).toBe('abc.DEF_1:2-3');
    const replaced = await request(app, 'GET', '/health/live', { 'x-request-id': 'bad id<script>' });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const tooLong = await request(app, 'GET', '/health/live', { 'x-request-id': 'a'.repeat(129) });
    expect(tooLong.headers['x-request-id']).not.toBe('a'.repeat(129));
    const generated = await request(app, 'GET', '/health/live');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not send X-Powered-By', async () => {
    const res = await request(app, 'GET', '/health/live');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers an unknown route with 404 GW_NOT_FOUND, without echoing the query', async () => {
    const problem = expectProblem(await request(app, 'GET', '/nope?token=abc'), 404, 'GW_NOT_FOUND');
    expect(problem.instance).toBe('/nope');
    expectProblem(await request(app, 'GET', '/v1/apis/orders/'), 404, 'GW_NOT_FOUND');
    expectProblem(await request(app, 'GET', '/V1/APIS'), 404, 'GW_NOT_FOUND');
  });

  it.each([
    ['POST', '/v1/apis', 'GET, HEAD'],
    ['PATCH', '/v1/apis/orders', 'GET, HEAD, PUT, DELETE'],
    ['POST', '/v1/apis/orders', 'GET, HEAD, PUT, DELETE'],
    ['DELETE', '/health/live', 'GET, HEAD'],
    ['PUT', '/health/ready', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const res = await request(app, method, path);
    expect(res.headers['allow']).toBe(allow);
    expectProblem(res, 405, 'GW_METHOD_NOT_ALLOWED');
  });

  it('answers 400 to a path parameter with broken percent-encoding', async () => {
    expectProblem(await request(app, 'GET', '/v1/apis/%E0%A4%A'), 400, 'GW_BAD_REQUEST');
  });

  it('refuses to build with a route registered without a declared access', () => {
    expect(() =>
      createControllerHttpApp({
        store: brokenStore(),
        tokens: unusedTokens,
        audit: unusedAudit,
        authDisabled: true,
        readiness: ready,
        extraRoutes: (a) => {
          a.get('/v1/unguarded', (_req, res) => void res.json({}));
        },
      }),
    ).toThrow(/without a declared access.*\/v1\/unguarded/);
  });

  it('serves extra routes, turning their errors into problems', async () => {
    expect((await request(app, 'GET', '/v1/extra')).json()).toEqual({ extra: true });
    expect((await request(app, 'GET', '/metrics')).payload).toBe('up 1\n');
    expectProblem(await request(app, 'GET', '/v1/extra-boom'), 500, 'GW_INTERNAL');
  });

  describe('readiness', () => {
    afterEach(() => {
      readiness = ready;
    });

    it('answers 200 with the checks when ready', async () => {
      const res = await request(app, 'GET', '/health/ready');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
    });

    it('answers 503 with the checks when not ready', async () => {
      readiness = async () => ({ ready: false, checks: { database: 'unreachable', snapshot: null } });
      const res = await request(app, 'GET', '/health/ready');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not_ready', checks: { database: 'unreachable', snapshot: null } });
    });

    it('answers 503 when the check throws or hangs', async () => {
      readiness = () => {
        throw new Error('check crashed');
      };
      expect((await request(app, 'GET', '/health/ready')).statusCode).toBe(503);
      readiness = () => new Promise(() => undefined);
      const started = Date.now();
      const res = await request(app, 'GET', '/health/ready');
      expect(res.statusCode).toBe(503);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(res.json()).toEqual({ status: 'not_ready', checks: {}, error: 'readiness check failed' });
    });
  });
});
