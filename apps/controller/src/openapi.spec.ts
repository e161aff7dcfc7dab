// The OpenAPI 3.1 document at GET /v1/openapi.json, for the whole controller app wired as
// controller.ts wires it (deploy API, fleet status, epoch, /metrics, the fleet page), over a
// real PostgreSQL: valid by a third-party validator (@readme/openapi-parser), one operation
// per declared route and no other, and live answers to every operation (successes and the
// main errors) match the documented statuses, media types and schemas.
import { readdirSync } from 'node:fs';
import { listDeclaredRoutes } from '@gw/deploy-api';
import { issueRoleTokens, OpenApiConformance, openApiCoverage } from '@gw/deploy-api/testing';
import { fleetUiRoot } from '@gw/fleet-ui';
import type { TokenRole } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import { compileErrors, validate } from '@readme/openapi-parser';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observability } from './observability.js';
import { controllerTestApp } from './testing/controller-test-app.js';
import { controllerOpenApiDocument } from './openapi-document.js';

const BOOTSTRAP = 'controller-openapi-bootstrap';
let temp: MigratedTempDatabase;
let observability: Observability;
let app: express.Express;
let doc: Record<string, unknown>;
let roles: Record<TokenRole, string>;

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_controller_openapi', poolMax: 4 });
  const { db } = temp.database;
  ({ app, observability } = controllerTestApp(db, BOOTSTRAP));
  roles = await issueRoleTokens(app, BOOTSTRAP, 'oa');
  const res = await inject(app, { method: 'GET', url: '/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});

afterAll(async () => {
  await observability?.stop();
  await temp?.dispose();
});

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    expect(doc['openapi']).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
  });

  it('is what tools/openapi-docs.mjs writes to docs/openapi.json (checked by npm run lint)', () => {
    expect(controllerOpenApiDocument()).toEqual(doc);
  });

  it('has an operation for every declared route and none for a route that does not exist', () => {
    expect(listDeclaredRoutes(app).length).toBeGreaterThan(25);
    expect(openApiCoverage(app, doc)).toEqual({ missing: [], extra: [] });
  });

  it('documents the access of each operation from its declaration', () => {
    const paths = doc['paths'] as Record<string, Record<string, { security: unknown[]; 'x-required-role': string; responses: Record<string, unknown>; 'x-elevated-access'?: unknown }>>;
    for (const route of listDeclaredRoutes(app).filter((r) => r.query === undefined)) {
      const op = paths[route.path.replace(/:(\w+)/g, '{$1}')]![route.method.toLowerCase()]!;
      expect(op['x-required-role'], `${route.method} ${route.path}`).toBe(route.access);
      expect(op.security, `${route.method} ${route.path}`).toEqual(route.access === 'public' ? [] : [{ bearerAuth: [] }]);
      if (route.access !== 'public') expect(Object.keys(op.responses), `${route.method} ${route.path}`).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(paths['/v1/export']!['get']!['x-elevated-access']).toEqual([{ query: 'includeSecrets=true', role: 'admin' }]);
    expect(paths['/v1/openapi.json']!['get']!.security).toEqual([]);
  });

  it('answers every operation as documented (statuses, media types, bodies)', async () => {
    const conformance = new OpenApiConformance(doc);
    const failures: string[] = [];
    const call = async (method: string, route: string, url: string, init: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => {
      const payload = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
      const res = await inject(app, {
        method: method as 'GET',
        url,
        headers: {
          ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(payload === undefined ? {} : { payload }),
      });
      failures.push(...conformance.check(method, route, { statusCode: res.statusCode, headers: res.headers, payload: res.payload }));
      return res;
    };
    const { viewer, deployer, admin } = roles;
    const orders = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };

    // Public.
    await call('GET', '/v1/openapi.json', '/v1/openapi.json');
    await call('GET', '/health/live', '/health/live');
    await call('GET', '/health/ready', '/health/ready');
    const schema = await call('GET', '/v1/schemas/api-definition.json', '/v1/schemas/api-definition.json');
    await call('GET', '/v1/schemas/api-definition.json', '/v1/schemas/api-definition.json', { headers: { 'if-none-match': String(schema.headers['etag']) } });
    await call('GET', '/metrics', '/metrics');
    await call('GET', '/ui', '/ui');
    await call('GET', '/ui/', '/ui/');
    const asset = readdirSync(fleetUiRoot).find((f) => f !== 'index.html' && /\.(js|css|svg)$/.test(f));
    if (asset !== undefined) await call('GET', '/ui/:file', `/ui/${asset}`);
    await call('GET', '/ui/:file', '/ui/no-such-file.js');

    // APIs.
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: deployer, body: orders });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: deployer, body: { ...orders, stripBasePath: false } });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders?dryRun=true', { token: deployer, body: orders });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: deployer, body: { ...orders, basePath: 'no-slash' } });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: deployer, raw: '{"name": ' });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: deployer, raw: 'x', headers: { 'content-type': 'text/plain' } });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: deployer, raw: `{"pad": "${'x'.repeat(1_100_000)}"}` });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: deployer, body: orders, headers: { 'if-match': '"99"' } });
    await call('PUT', '/v1/apis/:name', '/v1/apis/clash', { token: deployer, body: { ...orders, name: 'clash' } });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { body: orders });
    await call('PUT', '/v1/apis/:name', '/v1/apis/orders', { token: viewer, body: orders });
    await call('GET', '/v1/apis', '/v1/apis', { token: viewer });
    const one = await call('GET', '/v1/apis/:name', '/v1/apis/orders', { token: viewer });
    await call('GET', '/v1/apis/:name', '/v1/apis/orders', { token: viewer, headers: { 'if-none-match': String(one.headers['etag']) } });
    await call('GET', '/v1/apis/:name', '/v1/apis/missing', { token: viewer });
    await call('GET', '/v1/apis/:name', '/v1/apis/orders', { token: 'gwt_' + 'C'.repeat(43) });

    // Revisions and rollback.
    await call('GET', '/v1/apis/:name/revisions', '/v1/apis/orders/revisions', { token: viewer });
    await call('GET', '/v1/apis/:name/revisions', '/v1/apis/orders/revisions?limit=0', { token: viewer });
    await call('GET', '/v1/apis/:name/revisions', '/v1/apis/missing/revisions', { token: viewer });
    await call('GET', '/v1/apis/:name/revisions/:revision', '/v1/apis/orders/revisions/1', { token: viewer });
    await call('GET', '/v1/apis/:name/revisions/:revision', '/v1/apis/orders/revisions/99', { token: viewer });
    await call('POST', '/v1/apis/:name/rollback', '/v1/apis/orders/rollback', { token: deployer, body: { revision: 1 } });
    await call('POST', '/v1/apis/:name/rollback', '/v1/apis/orders/rollback', { token: deployer, body: { revision: 'one' } });
    await call('POST', '/v1/apis/:name/rollback', '/v1/apis/orders/rollback', { token: deployer, body: { revision: 99 } });

    // Apply and export.
    const exported = await call('GET', '/v1/export', '/v1/export', { token: viewer });
    await call('GET', '/v1/export', '/v1/export?includeSecrets=true', { token: viewer });
    await call('GET', '/v1/export', '/v1/export?includeSecrets=true', { token: admin });
    await call('GET', '/v1/export', '/v1/export?includeSecrets=maybe', { token: admin });
    const set = { apis: [orders, { ...orders, name: 'billing', basePath: '/billing' }], prune: true };
    await call('POST', '/v1/apply', '/v1/apply?dryRun=true', { token: deployer, body: set });
    await call('POST', '/v1/apply', '/v1/apply', { token: deployer, body: set, headers: { 'if-match': String(exported.headers['etag']) } });
    await call('POST', '/v1/apply', '/v1/apply', { token: deployer, body: set, headers: { 'if-match': '"0"' } });
    await call('POST', '/v1/apply', '/v1/apply', { token: deployer, body: { apis: [{ name: 'bad' }] } });
    await call('POST', '/v1/apply', '/v1/apply', { token: deployer, body: { apis: [orders, { ...orders, name: 'twin' }] } });

    // Tokens and audit.
    await call('POST', '/v1/tokens', '/v1/tokens', { token: admin, body: { name: 'ci', role: 'deployer', expiresAt: '2999-01-01T00:00:00Z' } });
    await call('POST', '/v1/tokens', '/v1/tokens', { token: admin, body: { name: 'ci', role: 'deployer' } });
    await call('POST', '/v1/tokens', '/v1/tokens', { token: admin, body: { name: 'Bad Name', role: 'root' } });
    await call('POST', '/v1/tokens', '/v1/tokens', { token: deployer, body: { name: 'x', role: 'viewer' } });
    await call('GET', '/v1/tokens', '/v1/tokens', { token: admin });
    await call('DELETE', '/v1/tokens/:name', '/v1/tokens/ci', { token: admin });
    await call('DELETE', '/v1/tokens/:name', '/v1/tokens/ci', { token: admin });
    await call('GET', '/v1/audit', '/v1/audit?limit=2', { token: admin });
    await call('GET', '/v1/audit', '/v1/audit?since=yesterday', { token: admin });

    // Fleet, controllers, epoch.
    await call('GET', '/v1/runtimes', '/v1/runtimes', { token: viewer });
    await call('GET', '/v1/runtimes', '/v1/runtimes?zone=a', { token: viewer });
    await call('GET', '/v1/runtimes', '/v1/runtimes?zones=a', { token: viewer });
    await call('GET', '/v1/status', '/v1/status', { token: viewer });
    await call('GET', '/v1/status', '/v1/status?waitForVersion=0&timeoutMs=0', { token: viewer });
    await call('GET', '/v1/status', '/v1/status?timeoutMs=5', { token: viewer });
    await call('GET', '/v1/controllers', '/v1/controllers', { token: viewer });
    await call('GET', '/v1/controllers', '/v1/controllers?x=1', { token: viewer });
    const epoch = await call('POST', '/v1/config/epoch', '/v1/config/epoch', { token: admin });
    await call('POST', '/v1/config/epoch', '/v1/config/epoch', { token: admin, headers: { 'if-match': String(epoch.headers['etag']).replace(/\d+/, (n) => String(Number(n) + 5)) } });
    await call('POST', '/v1/config/epoch', '/v1/config/epoch', { token: deployer });

    // Deletes last.
    await call('DELETE', '/v1/apis/:name', '/v1/apis/billing', { token: deployer, headers: { 'if-match': '"77"' } });
    await call('DELETE', '/v1/apis/:name', '/v1/apis/billing', { token: deployer });
    await call('DELETE', '/v1/apis/:name', '/v1/apis/never-was', { token: deployer });

    expect(failures).toEqual([]);
    expect(conformance.unexercised()).toEqual([]);
    // The main errors were seen, not only successes.
    for (const seen of [
      'PUT /v1/apis/{name} 201', 'PUT /v1/apis/{name} 400', 'PUT /v1/apis/{name} 401', 'PUT /v1/apis/{name} 403', 'PUT /v1/apis/{name} 409', 'PUT /v1/apis/{name} 412',
      'PUT /v1/apis/{name} 413', 'PUT /v1/apis/{name} 415', 'GET /v1/apis/{name} 304', 'GET /v1/apis/{name} 404', 'POST /v1/apply 412', 'POST /v1/apply 400',
      'POST /v1/tokens 409', 'DELETE /v1/tokens/{name} 404', 'POST /v1/config/epoch 412', 'DELETE /v1/apis/{name} 404',
    ]) {
      expect(conformance.checked, seen).toContain(seen);
    }
  });
});
