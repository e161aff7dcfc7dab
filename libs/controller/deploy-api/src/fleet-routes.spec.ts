import { FleetStatusService } from '@gw/fleet-status';
import { createApiStore, createAuditStore, createDatabase, createFleetStore, createTokenStore, type Database, type FleetStore, type RuntimeSessionRecord } from '@gw/store';
import { createMigratedTempDatabase, type TempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';
import { createEpochRouter } from './epoch-routes.js';
import { createFleetRouter } from './fleet-routes.js';

const TOKEN = 'fleet-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const TAKE_OVER = { takeOverAfterMs: 15_000 };

interface FleetApi {
  app: express.Express;
  close(): Promise<void>;
}

let temp: TempDatabase;
let database: Database;
let fleetStore: FleetStore;
let api: FleetApi;
let local: { version: number; epoch: number; hash: string } | undefined;

function record(runtimeId: string, zone: string, version: number, overrides: Partial<RuntimeSessionRecord> = {}): RuntimeSessionRecord {
  return {
    runtimeId,
    sessionId: `ctl-1/b/${runtimeId}`,
    zone,
    controllerId: 'ctl-1',
    buildVersion: '',
    peer: '',
    connected: true,
    connectedAt: new Date(),
    disconnectedAt: undefined,
    applied: { version, epoch: 1, hash: `h${version}` },
    lastNack: undefined,
    ...overrides,
  };
}

/** The controller's HTTP app with the fleet and epoch routes over `databaseForService`, and how to stop its fleet service. */
function fleetApi(databaseForService: Database, service?: FleetStatusService): FleetApi {
  const fleet =
    service ??
    new FleetStatusService({ store: createFleetStore(databaseForService.db), controllerId: 'ctl-1', zone: 'a', localSnapshot: () => local, staleAfterMs: 15_000, pollMs: 50 });
  const app = createControllerHttpApp({
    store: createApiStore(databaseForService.db),
    tokens: createTokenStore(databaseForService.db),
    audit: createAuditStore(databaseForService.db),
    adminToken: TOKEN,
    readiness: () => ({ ready: true, checks: {} }),
    extraRoutes: (a) => {
      a.use(createFleetRouter({ fleet, maxWaitMs: 5_000 }));
      a.use(createEpochRouter({ fleet }));
    },
  });
  return { app, close: () => fleet.stop() };
}

/** One request through the app in-process (light-my-request): no socket is the subject here. */
function request(running: FleetApi, method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) {
  return inject(running.app, { method, url, headers });
}

async function setVersion(version: number): Promise<void> {
  await database.db.updateTable('config_state').set({ version }).where('id', '=', 1).execute();
  local = { version, epoch: (await createApiStore(database.db).readConfigState()).epoch, hash: `h${version}` };
}

function problem(res: inject.Response, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const doc = res.json<Record<string, any>>();
  expect(doc).toMatchObject({ status, code });
  return doc;
}

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase({ prefix: 'gw_test_fleet_routes', poolMax: 4 }));
  fleetStore = createFleetStore(database.db);
  api = fleetApi(database);
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await temp?.drop();
});
beforeEach(async () => {
  await database.db.deleteFrom('runtime_sessions').execute();
  await setVersion(7);
});

describe('GET /v1/runtimes', () => {
  it('requires the admin token', async () => {
    problem(await request(api, 'GET', '/v1/runtimes'), 401, 'GW_UNAUTHORIZED');
    problem(await request(api, 'GET', '/v1/status'), 401, 'GW_UNAUTHORIZED');
    problem(await request(api, 'POST', '/v1/config/epoch'), 401, 'GW_UNAUTHORIZED');
  });

  it('lists every runtime with its zone, controller, applied config, sync state and last NACK', async () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    await fleetStore.recordSessions(
      [
        record('rt-a', 'a', 7),
        record('rt-b', 'b', 6, { lastNack: { version: 7, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many APIs', at } }),
      ],
      TAKE_OVER,
    );
    const res = await request(api, 'GET', '/v1/runtimes', auth);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-config-version']).toBe('7');
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json() as Record<string, any>;
    expect(body.config).toEqual({ version: 7, epoch: 1, hash: 'h7' });
    expect(body.runtimes).toMatchObject([
      { runtimeId: 'rt-a', zone: 'a', controllerId: 'ctl-1', connected: true, stale: false, inSync: true, applied: { version: 7, hash: 'h7' }, lastNack: null },
      {
        runtimeId: 'rt-b',
        zone: 'b',
        inSync: false,
        applied: { version: 6 },
        nackPending: true,
        lastNack: { version: 7, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many APIs', at: at.toISOString() },
      },
    ]);
    const zoneB = (await request(api, 'GET', '/v1/runtimes?zone=b', auth)).json() as Record<string, any>;
    expect(zoneB.runtimes.map((r: { runtimeId: string }) => r.runtimeId)).toEqual(['rt-b']);
  });

  it('refuses unknown and repeated query parameters', async () => {
    const doc = problem(await request(api, 'GET', '/v1/runtimes?zones=a&zone=a&zone=b', auth), 400, 'GW_BAD_REQUEST');
    expect(doc.errors).toEqual([
      { path: 'zones', message: 'unknown query parameter; allowed: zone' },
      { path: 'zone', message: 'must be given once' },
    ]);
  });
});

describe('GET /v1/status', () => {
  it('reports the config, in sync / total per zone, stale runtimes and pending NACKs', async () => {
    await fleetStore.recordSessions([record('a1', 'a', 7), record('a2', 'a', 6), record('b1', 'b', 7), record('b2', 'b', 7)], TAKE_OVER);
    await database.db.updateTable('runtime_sessions').set({ last_seen_at: new Date(Date.now() - 3_600_000) }).where('runtime_id', '=', 'b2').execute();
    const res = await request(api, 'GET', '/v1/status', auth);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, any>;
    expect(body).toMatchObject({
      controller: { id: 'ctl-1', zone: 'a', snapshot: { version: 7, epoch: 1, hash: 'h7' } },
      config: { version: 7, epoch: 1, hash: 'h7' },
      runtimes: { total: 4, connected: 3, inSync: 2, outOfSync: 1, stale: 1, disconnected: 0 },
      zones: { a: { total: 2, inSync: 1 }, b: { total: 2, inSync: 1, stale: 1 } },
      stale: [{ runtimeId: 'b2', zone: 'b' }],
      nacks: [],
      warnings: [],
    });
  });

  it.each([
    ['waitForVersion=abc', 'waitForVersion', 'must be an integer from 0 to 9007199254740991'],
    ['waitForVersion=-1', 'waitForVersion', 'must be an integer from 0 to 9007199254740991'],
    ['waitForVersion=1.5', 'waitForVersion', 'must be an integer from 0 to 9007199254740991'],
    ['waitForVersion=99999999999999999', 'waitForVersion', 'must be an integer from 0 to 9007199254740991'],
    ['waitForVersion=1&timeoutMs=5001', 'timeoutMs', 'must be an integer from 0 to 5000'],
    ['timeoutMs=10', 'timeoutMs', 'only applies together with waitForVersion'],
    ['waitForVersion=1&waitForVersion=2', 'waitForVersion', 'must be given once'],
    ['waitforversion=1', 'waitforversion', 'unknown query parameter; allowed: waitForVersion, timeoutMs'],
  ])('refuses ?%s with a problem at %s', async (query, path, message) => {
    const doc = problem(await request(api, 'GET', `/v1/status?${query}`, auth), 400, 'GW_BAD_REQUEST');
    expect(doc.errors).toContainEqual({ path, message });
    expect(doc.instance).toBe('/v1/status');
  });

  it('answers a wait at once when every connected runtime already runs the version', async () => {
    await fleetStore.recordSessions([record('a1', 'a', 7), record('gone', 'a', 1, { connected: false, disconnectedAt: new Date() })], TAKE_OVER);
    const res = await request(api, 'GET', '/v1/status?waitForVersion=7&timeoutMs=5000', auth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ wait: { version: 7, reached: true }, runtimes: { inSync: 1 } });
  });

  it('answers a wait as soon as the last runtime catches up', async () => {
    await fleetStore.recordSessions([record('a1', 'a', 7), record('a2', 'a', 6)], TAKE_OVER);
    const started = Date.now();
    const pending = request(api, 'GET', '/v1/status?waitForVersion=7&timeoutMs=5000', auth);
    setTimeout(() => void fleetStore.recordSessions([record('a2', 'a', 7)], TAKE_OVER), 300);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect((res.json() as Record<string, any>).wait.reached).toBe(true);
  });

  it('times out with 504 GW_WAIT_TIMEOUT naming the laggards', async () => {
    const at = new Date();
    await fleetStore.recordSessions(
      [record('a1', 'a', 7), record('b1', 'b', 6, { lastNack: { version: 7, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many', at } })],
      TAKE_OVER,
    );
    const started = Date.now();
    const res = await request(api, 'GET', '/v1/status?waitForVersion=7&timeoutMs=300', auth);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    const doc = problem(res, 504, 'GW_WAIT_TIMEOUT');
    expect(doc).toMatchObject({
      waitForVersion: 7,
      timeoutMs: 300,
      laggards: [{ runtimeId: 'b1', zone: 'b', controllerId: 'ctl-1', version: 6, epoch: 1, lastNack: { version: 7, code: 'GW_SNAPSHOT_OVER_CAPACITY' } }],
      config: { version: 7 },
      runtimes: { connected: 2, inSync: 1 },
    });
    expect(doc.detail).toMatch(/b1 \(zone b\) at 6, last NACK GW_SNAPSHOT_OVER_CAPACITY for 7/);
  });
});

describe('POST /v1/config/epoch', () => {
  it('bumps epoch and version, and honours If-Match on the epoch', async () => {
    const before = await createApiStore(database.db).readConfigState();
    const res = await request(api, 'POST', '/v1/config/epoch', auth);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { epoch: number; configVersion: number };
    expect(body).toEqual({ epoch: before.epoch + 1, configVersion: before.version + 1 });
    expect(res.headers['x-config-version']).toBe(String(body.configVersion));
    expect(res.headers['x-config-epoch']).toBe(String(body.epoch));

    const stale = await request(api, 'POST', '/v1/config/epoch', { ...auth, 'if-match': `"${before.epoch}"` });
    problem(stale, 412, 'GW_PRECONDITION_FAILED');
    const ok = await request(api, 'POST', '/v1/config/epoch', { ...auth, 'if-match': `"${body.epoch}"` });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as { epoch: number }).epoch).toBe(body.epoch + 1);
    problem(await request(api, 'GET', '/v1/config/epoch', auth), 405, 'GW_METHOD_NOT_ALLOWED');
  });
});

describe('with the database down', () => {
  it('answers 503 GW_DATABASE_UNAVAILABLE for status, runtimes and a wait that never read the fleet', async () => {
    const dead = createDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', connectionTimeoutMillis: 300 });
    const down = fleetApi(dead);
    try {
      problem(await request(down, 'GET', '/v1/status', auth), 503, 'GW_DATABASE_UNAVAILABLE');
      problem(await request(down, 'GET', '/v1/runtimes', auth), 503, 'GW_DATABASE_UNAVAILABLE');
      problem(await request(down, 'GET', '/v1/status?waitForVersion=1&timeoutMs=500', auth), 503, 'GW_DATABASE_UNAVAILABLE');
      problem(await request(down, 'POST', '/v1/config/epoch', auth), 503, 'GW_DATABASE_UNAVAILABLE');
    } finally {
      await down.close();
      await dead.close();
    }
  });
});
