// Named tokens through the deploy API over real PostgreSQL: create (secret once), list
// (never secrets), use, expiry, revoke, and two app instances on one database.
import { createHash } from 'node:crypto';
import { createApiStore, createAuditStore, createDatabase, createTokenStore, type Database } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import { waitFor } from '@gw/test-kit';
import type express from 'express';
import { sql } from 'kysely';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';

const BOOTSTRAP = 'tokens-spec-bootstrap';
const bootstrap = { authorization: `Bearer ${BOOTSTRAP}` };
const SMALLEST = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };

let temp: MigratedTempDatabase;
let second: Database;
let app: express.Express;
/** Another replica: its own pool on the same database. */
let replica: express.Express;

function appOver(database: Database): express.Express {
  return createControllerHttpApp({
    store: createApiStore(database.db),
    tokens: createTokenStore(database.db),
    audit: createAuditStore(database.db),
    adminToken: BOOTSTRAP,
    readiness: () => ({ ready: true, checks: {} }),
  });
}

function createToken(body: unknown, headers: Record<string, string> = bootstrap, on: express.Express = app) {
  return inject(on, { method: 'POST', url: '/v1/tokens', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
}

function as(token: string) {
  return { authorization: `Bearer ${token}` };
}

interface Created {
  name: string;
  role: string;
  token: string;
  createdAt: string;
  expiresAt: string | null;
}

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_tokens', poolMax: 4 });
  second = createDatabase({ connectionString: temp.temp.url, poolMax: 2 });
  app = appOver(temp.database);
  replica = appOver(second);
});

afterAll(async () => {
  await second?.close();
  await temp?.dispose();
});

describe('POST /v1/tokens', () => {
  it('answers 201 with the secret once; the database keeps only its SHA-256', async () => {
    const res = await createToken({ name: 'ci-deployer', role: 'deployer' });
    expect(res.statusCode, res.payload).toBe(201);
    expect(res.headers['location']).toBe('/v1/tokens/ci-deployer');
    expect(res.headers['cache-control']).toBe('no-store');
    const created = res.json<Created>();
    expect(created).toMatchObject({ name: 'ci-deployer', role: 'deployer', expiresAt: null });
    expect(created.token).toMatch(/^gwt_[A-Za-z0-9_-]{43}$/);
    const row = await temp.database.db.selectFrom('admin_tokens').selectAll().where('name', '=', 'ci-deployer').executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.token);
    // The token works at once, with its role.
    const put = await inject(app, { method: 'PUT', url: '/v1/apis/orders', headers: { ...as(created.token), 'content-type': 'application/json' }, payload: JSON.stringify(SMALLEST) });
    expect(put.statusCode).toBe(201);
    expect((await createToken({ name: 'nope', role: 'viewer' }, as(created.token))).statusCode).toBe(403);
  });

  it('refuses a duplicate name with 409 GW_CONFLICT at `name`', async () => {
    expect((await createToken({ name: 'twice', role: 'viewer' })).statusCode).toBe(201);
    const res = await createToken({ name: 'twice', role: 'admin' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'GW_CONFLICT', errors: [{ path: 'name' }] });
  });

  it.each([
    [{ name: 'admin', role: 'viewer' }, ['name']],
    [{ name: 'anonymous', role: 'viewer' }, ['name']],
    [{ name: 'Not A Slug', role: 'viewer' }, ['name']],
    [{ name: '-x', role: 'viewer' }, ['name']],
    [{ name: 'x'.repeat(64), role: 'viewer' }, ['name']],
    [{ role: 'viewer' }, ['name']],
    [{ name: 'ok', role: 'root' }, ['role']],
    [{ name: 'ok', role: 'viewer', expiresAt: '2020-01-01T00:00:00Z' }, ['expiresAt']],
    [{ name: 'ok', role: 'viewer', expiresAt: '2099-01-01' }, ['expiresAt']],
    [{ name: 'ok', role: 'viewer', scope: 'all' }, ['scope']],
    [{ name: 7, role: 1, expiresAt: 3 }, ['name', 'role', 'expiresAt']],
  ])('refuses %j with 400 problem+json at the field paths', async (body, paths) => {
    const res = await createToken(body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json<{ code: string; errors: { path: string }[] }>();
    expect(problem.code).toBe('GW_BAD_REQUEST');
    expect(problem.errors.map((e) => e.path).sort()).toEqual([...paths].sort());
  });
});

describe('GET /v1/tokens', () => {
  it('lists names, roles, creation and last use, never a secret or hash', async () => {
    const created = (await createToken({ name: 'lister', role: 'viewer', expiresAt: '2099-01-01T00:00:00Z' })).json<Created>();
    const before = (await inject(app, { method: 'GET', url: '/v1/tokens', headers: bootstrap })).json<{ items: Record<string, unknown>[] }>();
    expect(before.items.find((t) => t['name'] === 'lister')).toEqual({
      name: 'lister',
      role: 'viewer',
      createdAt: created.createdAt,
      createdBy: 'admin',
      expiresAt: '2099-01-01T00:00:00.000Z',
      lastUsedAt: null,
    });
    expect((await inject(app, { method: 'GET', url: '/v1/apis', headers: as(created.token) })).statusCode).toBe(200);
    // The use is recorded off the request path.
    const used = await waitFor('last use recorded', async () => {
      const list = (await inject(app, { method: 'GET', url: '/v1/tokens', headers: bootstrap })).json<{ items: Record<string, unknown>[] }>();
      const entry = list.items.find((t) => t['name'] === 'lister');
      return typeof entry?.['lastUsedAt'] === 'string' ? entry : undefined;
    });
    expect(Date.parse(String(used['lastUsedAt']))).toBeGreaterThanOrEqual(Date.parse(created.createdAt));
    const everything = (await inject(app, { method: 'GET', url: '/v1/tokens', headers: bootstrap })).payload;
    expect(everything).not.toContain(created.token);
    expect(everything).not.toMatch(/gwt_|[0-9a-f]{64}/);
  });
});

describe('expiry', () => {
  it('refuses an expired token with 401, decided by the database clock', async () => {
    const created = (await createToken({ name: 'short-lived', role: 'viewer', expiresAt: new Date(Date.now() + 3_600_000).toISOString() })).json<Created>();
    expect((await inject(app, { method: 'GET', url: '/v1/apis', headers: as(created.token) })).statusCode).toBe(200);
    // Move its expiry into the past instead of waiting for it.
    await sql`update admin_tokens set expires_at = now() - interval '1 second' where name = 'short-lived'`.execute(temp.database.db);
    const res = await inject(app, { method: 'GET', url: '/v1/apis', headers: as(created.token) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'GW_UNAUTHORIZED', detail: 'The bearer token has expired.' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="gateway"');
  });
});

describe('DELETE /v1/tokens/{name}', () => {
  it('revokes: 204, then the token is refused with 401 and the name is free again', async () => {
    const created = (await createToken({ name: 'revoke-me', role: 'admin' })).json<Created>();
    expect((await inject(app, { method: 'GET', url: '/v1/tokens', headers: as(created.token) })).statusCode).toBe(200);
    const res = await inject(app, { method: 'DELETE', url: '/v1/tokens/revoke-me', headers: bootstrap });
    expect(res.statusCode).toBe(204);
    expect((await inject(app, { method: 'GET', url: '/v1/tokens', headers: as(created.token) })).statusCode).toBe(401);
    expect((await inject(app, { method: 'DELETE', url: '/v1/tokens/revoke-me', headers: bootstrap })).json()).toMatchObject({ code: 'GW_NOT_FOUND' });
    expect((await createToken({ name: 'revoke-me', role: 'viewer' })).statusCode).toBe(201);
  });

  it('cannot revoke the bootstrap token (404 naming ADMIN_TOKEN)', async () => {
    const res = await inject(app, { method: 'DELETE', url: '/v1/tokens/admin', headers: bootstrap });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ detail: string }>().detail).toMatch(/ADMIN_TOKEN/);
  });

  it('is seen by another replica on the same database within 2 s', async () => {
    const created = (await createToken({ name: 'two-replicas', role: 'deployer' })).json<Created>();
    // Created on one replica, usable on the other at once.
    expect((await inject(replica, { method: 'GET', url: '/v1/apis', headers: as(created.token) })).statusCode).toBe(200);
    expect((await inject(app, { method: 'DELETE', url: '/v1/tokens/two-replicas', headers: bootstrap })).statusCode).toBe(204);
    const revokedAt = Date.now();
    // The product promises 2 s; a small margin for a loaded machine.
    await waitFor('the other replica refuses the revoked token', async () => (await inject(replica, { method: 'GET', url: '/v1/apis', headers: as(created.token) })).statusCode === 401, {
      timeoutMs: 2_500,
    });
    expect(Date.now() - revokedAt).toBeLessThan(2_500);
  });
});
