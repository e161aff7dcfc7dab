// The route × role matrix: every route the app registers (each must be declared with its
// access, or the app refuses to build) is called with no token, an unknown token, a named
// token of each role and the bootstrap token, over real PostgreSQL.
import { FleetStatusService } from '@gw/fleet-status';
import { createApiStore, createAuditStore, createFleetStore, createTokenStore } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';
import { createEpochRouter } from './epoch-routes.js';
import { createControllerRouter } from './controller-routes.js';
import { createFleetRouter } from './fleet-routes.js';
import { createFleetUiRouter } from './fleet-ui-routes.js';
import { listDeclaredRoutes } from './route-access.js';
import { issueRoleTokens, routeAccessMatrix, type MatrixCaller } from './testing/index.js';

const BOOTSTRAP = 'matrix-bootstrap-token';
const UNKNOWN = `gwt_${'A'.repeat(43)}`;

let temp: MigratedTempDatabase;
let fleet: FleetStatusService;
let app: express.Express;
const tokenOf: Partial<Record<MatrixCaller, string>> = { bootstrap: BOOTSTRAP, unknown: UNKNOWN };

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_route_matrix', poolMax: 4 });
  const { db } = temp.database;
  fleet = new FleetStatusService({ store: createFleetStore(db), controllerId: 'ctl-1', zone: 'a', localSnapshot: () => undefined, staleAfterMs: 15_000, pollMs: 50 });
  app = createControllerHttpApp({
    store: createApiStore(db),
    tokens: createTokenStore(db),
    audit: createAuditStore(db),
    adminToken: BOOTSTRAP,
    readiness: () => ({ ready: true, checks: {} }),
    extraRoutes: (a) => {
      a.use(createFleetRouter({ fleet, maxWaitMs: 1_000 }));
      a.use(createEpochRouter({ fleet }));
      a.use(createControllerRouter({ controllers: async () => ({ controllers: [], checkedAt: new Date().toISOString() }) }));
      // An empty directory: the page's routes are declared (and public) whether or not it is built.
      a.use(createFleetUiRouter({ root: '/nonexistent-fleet-ui' }));
    },
  });
  Object.assign(tokenOf, await issueRoleTokens(app, BOOTSTRAP, 'matrix'));
});

afterAll(async () => {
  await fleet?.stop();
  await temp?.dispose();
});

describe('route × role matrix', () => {
  it('declares every route of the issue, each with the role the policy gives it', () => {
    const declared = listDeclaredRoutes(app).map((r) => `${r.method} ${r.path}${r.query === undefined ? '' : `?${r.query}`} ${r.access}`);
    expect(declared).toEqual(
      expect.arrayContaining([
        'GET /health/live public',
        'GET /health/ready public',
        'GET /v1/schemas/api-definition.json public',
        'GET /v1/openapi.json public',
        'GET /v1/apis viewer',
        'GET /v1/apis/:name viewer',
        'PUT /v1/apis/:name deployer',
        'DELETE /v1/apis/:name deployer',
        'GET /v1/apis/:name/revisions viewer',
        'GET /v1/apis/:name/revisions/:revision viewer',
        'POST /v1/apis/:name/rollback deployer',
        'POST /v1/apply deployer',
        'GET /v1/export viewer',
        'GET /v1/export?includeSecrets=true admin',
        'GET /v1/tokens admin',
        'POST /v1/tokens admin',
        'DELETE /v1/tokens/:name admin',
        'GET /v1/audit admin',
        'GET /v1/runtimes viewer',
        'GET /v1/status viewer',
        'GET /v1/controllers viewer',
        'POST /v1/config/epoch admin',
        'GET /ui public',
        'GET /ui/ public',
        'GET /ui/:file public',
      ]),
    );
    // The policy, for routes added later too: tokens, the epoch, the audit log and secrets in
    // clear are admin's; any other GET under /v1 is a viewer's; any other write a deployer's;
    // the rest (and the documents holding no data: schemas, the OpenAPI document) public.
    for (const r of listDeclaredRoutes(app)) {
      const policy = /^\/v1\/(tokens|audit|config\/epoch)(\/|$)/.test(r.path) || r.query?.startsWith('includeSecrets=') === true
        ? 'admin'
        : r.path.startsWith('/v1/') && !r.path.startsWith('/v1/schemas/') && r.path !== '/v1/openapi.json'
          ? r.method === 'GET'
            ? 'viewer'
            : 'deployer'
          : 'public';
      const route = `${r.method} ${r.path}${r.query === undefined ? '' : `?${r.query}`}`;
      expect(`${route} ${r.access}`).toBe(`${route} ${policy}`);
    }
  });

  it('answers every route as declared for every caller', async () => {
    const cases = routeAccessMatrix(app);
    expect(cases.length).toBeGreaterThanOrEqual(20 * 6);
    // The elevated export is walked like any route: a viewer or deployer asking for secrets is refused.
    expect(cases.filter((c) => c.url === '/v1/export?includeSecrets=true').map((c) => `${c.caller} ${c.expected}`)).toEqual([
      'none unauthorized',
      'unknown unauthorized',
      'viewer forbidden',
      'deployer forbidden',
      'admin allowed',
      'bootstrap allowed',
    ]);
    const failures: string[] = [];
    for (const c of cases) {
      const token = tokenOf[c.caller];
      const withBody = ['PUT', 'POST', 'PATCH'].includes(c.route.method);
      const res = await inject(app, {
        method: c.route.method,
        url: c.url,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { payload: '{}' } : {}),
      });
      const problem = /^application\/problem\+json/.test(String(res.headers['content-type'])) ? res.json<{ code: string }>() : undefined;
      const outcome =
        res.statusCode === 401 && problem?.code === 'GW_UNAUTHORIZED' && res.headers['www-authenticate'] === 'Bearer realm="gateway"'
          ? 'unauthorized'
          : res.statusCode === 403 && problem?.code === 'GW_FORBIDDEN'
            ? 'forbidden'
            : res.statusCode !== 401 && res.statusCode !== 403
              ? 'allowed'
              : `malformed ${res.statusCode}`;
      if (outcome !== c.expected) failures.push(`${c.route.method} ${c.url} as ${c.caller}: expected ${c.expected}, got ${outcome} (${res.statusCode} ${res.payload.slice(0, 120)})`);
    }
    expect(failures).toEqual([]);
  });

  it('answers an unknown /v1 path and a wrong method with 401 before 404/405 for a caller without a valid token', async () => {
    for (const [method, url] of [
      ['GET', '/v1/nope'],
      ['PATCH', '/v1/apis/orders'],
      ['GET', '/v1/tokens/someone'],
    ] as const) {
      expect((await inject(app, { method, url })).statusCode).toBe(401);
      expect((await inject(app, { method, url, headers: { authorization: `Bearer ${UNKNOWN}` } })).statusCode).toBe(401);
      expect((await inject(app, { method, url, headers: { authorization: `Bearer ${tokenOf.viewer}` } })).statusCode).toBeGreaterThanOrEqual(404);
    }
  });
});
