// The controller's own routes (fleet status, the epoch, /metrics) in the route × role
// matrix, wired as controller.ts wires them, over real PostgreSQL.
import { createControllerHttpApp, listDeclaredRoutes } from '@gw/deploy-api';
import { issueRoleTokens, routeAccessMatrix, type MatrixCaller } from '@gw/deploy-api/testing';
import { silentLogger } from '@gw/logging';
import { SnapshotCache } from '@gw/snapshot-cache';
import { createApiStore, createAuditStore, createFleetStore, createTokenStore } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObservability, type Observability } from './observability.js';

const BOOTSTRAP = 'controller-matrix-bootstrap';
let temp: MigratedTempDatabase;
let observability: Observability;
let app: express.Express;
const tokenOf: Partial<Record<MatrixCaller, string>> = { bootstrap: BOOTSTRAP, unknown: `gwt_${'B'.repeat(43)}` };

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_controller_routes', poolMax: 4 });
  const { db } = temp.database;
  observability = createObservability({
    config: { controllerId: 'ctl-1', zone: 'a', fleetHeartbeatMs: 5_000, fleetStaleAfterMs: 15_000, fleetRetentionMs: 86_400_000 },
    fleetStore: createFleetStore(db),
    cache: new SnapshotCache(),
    sessions: () => [],
    logger: silentLogger,
  });
  app = createControllerHttpApp({
    store: createApiStore(db),
    tokens: createTokenStore(db),
    audit: createAuditStore(db),
    adminToken: BOOTSTRAP,
    readiness: () => ({ ready: true, checks: {} }),
    extraRoutes: (a) => observability.routes(a),
  });
  Object.assign(tokenOf, await issueRoleTokens(app, BOOTSTRAP, 'ctl'));
});

afterAll(async () => {
  await observability?.stop();
  await temp?.dispose();
});

describe('controller routes × roles', () => {
  it('declares the controller routes with their roles', () => {
    const declared = listDeclaredRoutes(app).map((r) => `${r.method} ${r.path} ${r.access}`);
    expect(declared).toEqual(expect.arrayContaining(['GET /metrics public', 'GET /v1/runtimes viewer', 'GET /v1/status viewer', 'POST /v1/config/epoch admin']));
  });

  it('answers every route as declared for every caller', async () => {
    const failures: string[] = [];
    for (const c of routeAccessMatrix(app)) {
      const token = tokenOf[c.caller];
      const withBody = ['PUT', 'POST', 'PATCH'].includes(c.route.method);
      const res = await inject(app, {
        method: c.route.method,
        url: c.url,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { payload: '{}' } : {}),
      });
      const outcome = res.statusCode === 401 ? 'unauthorized' : res.statusCode === 403 ? 'forbidden' : 'allowed';
      if (outcome !== c.expected) failures.push(`${c.route.method} ${c.url} as ${c.caller}: expected ${c.expected}, got ${res.statusCode}`);
    }
    expect(failures).toEqual([]);
  });
});
