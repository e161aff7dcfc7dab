import { createApiStore, createAuditStore, createTokenStore, type Database } from '@gw/store';
import { createMigratedTempDatabase, type TempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';

let temp: TempDatabase;
let database: Database;
let app: express.Express;

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase({ prefix: 'gw_test_route_conflict', poolMax: 4 }));
  app = createControllerHttpApp({
    store: createApiStore(database.db),
    tokens: createTokenStore(database.db),
    audit: createAuditStore(database.db),
    authDisabled: true,
    readiness: () => ({ ready: true, checks: {} }),
  });
});

afterAll(async () => {
  await database?.close();
  await temp?.drop();
});

function put(name: string, body: Record<string, unknown>) {
  return inject(app, {
    method: 'PUT',
    url: `/v1/apis/${name}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ name, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] }, ...body }),
  });
}

describe('deploy API route conflicts', () => {
  it('answers 409 GW_ROUTE_CONFLICT problem+json naming the API that owns the route, and changes nothing', async () => {
    expect((await put('shop', { basePath: '/shop', hosts: ['shop.example.com'] })).statusCode).toBe(201);
    const res = await put('copycat', { basePath: '/shop', hosts: ['www.example.com', 'SHOP.example.com'] });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const doc = res.json<Record<string, unknown>>();
    expect(doc).toMatchObject({
      type: 'urn:gw:problem:gw_route_conflict',
      title: 'Route conflict',
      status: 409,
      code: 'GW_ROUTE_CONFLICT',
      instance: '/v1/apis/copycat',
      errors: [{ path: 'hosts[1]', message: 'shop.example.com/shop is already served by API "shop"' }],
    });
    expect(doc['detail']).toContain('API "shop"');
    expect((await inject(app, { method: 'GET', url: '/v1/apis/copycat' })).statusCode).toBe(404);
  });

  it('accepts an exact host that a wildcard API on the same base path covers', async () => {
    expect((await put('wild', { basePath: '/w', hosts: ['*.example.com'] })).statusCode).toBe(201);
    expect((await put('exact', { basePath: '/w', hosts: ['a.example.com'] })).statusCode).toBe(201);
  });

  it('answers 400 GW_VALIDATION for two routes of one API serving the same method and path', async () => {
    const res = await put('dupes', {
      basePath: '/dupes',
      routes: [
        { name: 'one', methods: ['GET'], path: '/:id' },
        { name: 'two', methods: ['POST', 'GET'], path: '/:key' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'GW_VALIDATION',
      errors: [{ path: 'routes[1]', message: 'conflicts with routes[0] ("one"): both serve GET /:id and /:key' }],
    });
  });
});
