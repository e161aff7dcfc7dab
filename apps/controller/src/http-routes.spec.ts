// The controller's own routes (fleet status, controller heartbeats, the epoch, /metrics,
// the fleet page) in the route × role matrix, wired as controller.ts wires them, over real
// PostgreSQL; and what the fleet page's files are served with.
import { listDeclaredRoutes } from '@gw/deploy-api';
import { issueRoleTokens, routeAccessMatrix, type MatrixCaller } from '@gw/deploy-api/testing';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observability } from './observability.js';
import { controllerTestApp } from './testing/controller-test-app.js';

const BOOTSTRAP = 'controller-matrix-bootstrap';
let temp: MigratedTempDatabase;
let observability: Observability;
let app: express.Express;
const tokenOf: Partial<Record<MatrixCaller, string>> = { bootstrap: BOOTSTRAP, unknown: `gwt_${'B'.repeat(43)}` };

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_controller_routes', poolMax: 4 });
  const { db } = temp.database;
  ({ app, observability } = controllerTestApp(db, BOOTSTRAP));
  Object.assign(tokenOf, await issueRoleTokens(app, BOOTSTRAP, 'ctl'));
});

afterAll(async () => {
  await observability?.stop();
  await temp?.dispose();
});

describe('controller routes × roles', () => {
  it('declares the controller routes with their roles', () => {
    const declared = listDeclaredRoutes(app).map((r) => `${r.method} ${r.path} ${r.access}`);
    expect(declared).toEqual(
      expect.arrayContaining([
        'GET /metrics public',
        'GET /v1/openapi.json public',
        'GET /v1/runtimes viewer',
        'GET /v1/status viewer',
        'GET /v1/controllers viewer',
        'POST /v1/config/epoch admin',
        'GET /ui public',
        'GET /ui/ public',
        'GET /ui/:file public',
      ]),
    );
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

describe('controller heartbeats', () => {
  it('lists this replica with its build once it has beaten, for a viewer', async () => {
    await observability.heartbeat.beat();
    const res = await inject(app, { method: 'GET', url: '/v1/controllers', headers: { authorization: `Bearer ${tokenOf.viewer}` } });
    expect(res.statusCode, res.payload).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<{ controllers: Record<string, unknown>[]; checkedAt: string }>();
    expect(body.controllers).toEqual([
      expect.objectContaining({ controllerId: 'ctl-1', zone: 'a', state: 'live', stale: false, self: true, snapshot: null, buildVersion: '7.7.7' }),
    ]);
    expect(Date.parse(body.checkedAt)).not.toBeNaN();
    const bad = await inject(app, { method: 'GET', url: '/v1/controllers?zone=a', headers: { authorization: `Bearer ${tokenOf.viewer}` } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('the fleet page (/ui/)', () => {
  it('serves the built page without a token, under a strict Content-Security-Policy, revalidated on every load', async () => {
    const page = await inject(app, { method: 'GET', url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['last-modified']).toBeDefined();
    // Everything it loads is a file of its own: no inline script, nothing from another origin.
    expect(page.payload).toContain('<script type="module" src="fleet-page.js"></script>');
    expect(page.payload).not.toMatch(/<script>|<script [^>]*>[^<]|https?:\/\//);
    for (const [file, type] of [
      ['fleet-page.js', /javascript/],
      ['fleet-model.js', /javascript/],
      ['fleet.css', /^text\/css/],
    ] as const) {
      const res = await inject(app, { method: 'GET', url: `/ui/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type'], file).toMatch(type);
      expect(res.headers['content-security-policy'], file).toBeDefined();
    }
    const again = await inject(app, { method: 'GET', url: '/ui/', headers: { 'if-modified-since': String(page.headers['last-modified']) } });
    expect(again.statusCode).toBe(304);
  });

  it('redirects /ui to /ui/ and answers 404 for anything the build did not produce', async () => {
    const redirect = await inject(app, { method: 'GET', url: '/ui' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers['location']).toBe('/ui/');
    for (const url of ['/ui/nope.js', '/ui/fleet-page.d.ts', '/ui/..%2Fpackage.json', '/ui/.hidden.js', '/ui/index.html/x']) {
      expect((await inject(app, { method: 'GET', url })).statusCode, url).toBe(404);
    }
  });
});
