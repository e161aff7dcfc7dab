// Named admin tokens and the audit log across processes: two controller replicas on one
// database. A token revoked on one is refused by the other within 2 s; PUT, DELETE and the
// epoch done with named tokens are in GET /v1/audit under the token's name with the
// response's request id. And secure by default: no ADMIN_TOKEN, no start.
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { freePort, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  logRecords,
  simpleApi,
  startControllerProcess,
  waitControllerReady,
  withOutput,
  type ControllerProcess,
} from './support/gateway-processes.js';
import { http, type HttpResult } from './support/http.js';
import { startApp, stopAll } from './support/processes.js';

let db: TempDatabase;
let ctl1: ControllerProcess;
let ctl2: ControllerProcess;

function call(c: ControllerProcess, method: string, path: string, token: string | undefined, body?: unknown): Promise<HttpResult> {
  return http(method, `${c.http}${path}`, {
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    timeoutMs: 10_000,
  });
}

async function createToken(c: ControllerProcess, name: string, role: string): Promise<string> {
  const res = await http('POST', `${c.http}/v1/tokens`, { headers: { ...authHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ name, role }) });
  expect(res.status, res.body).toBe(201);
  return res.json().token;
}

beforeAll(async () => {
  db = await createTempDatabase();
  ctl1 = await startControllerProcess({ id: 'ctl-1', databaseUrl: db.url });
  ctl2 = await startControllerProcess({ id: 'ctl-2', databaseUrl: db.url });
  await withOutput(ctl1.proc, waitControllerReady(ctl1));
  await withOutput(ctl2.proc, waitControllerReady(ctl2));
});

afterAll(async () => {
  await stopAll();
  await db?.drop();
});

describe('named tokens on two replicas', () => {
  it('a token created on one replica works on the other; revoked on one, the other refuses it within 2 s', async () => {
    const token = await createToken(ctl1, 'ci-pipeline', 'deployer');
    expect((await call(ctl2, 'GET', '/v1/apis', token)).status).toBe(200);
    // A deployer cannot manage tokens: 403, problem+json.
    const forbidden = await call(ctl2, 'GET', '/v1/tokens', token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(forbidden.json()).toMatchObject({ code: 'GW_FORBIDDEN' });

    expect((await call(ctl1, 'DELETE', '/v1/tokens/ci-pipeline', undefined)).status).toBe(401);
    const revoke = await http('DELETE', `${ctl1.http}/v1/tokens/ci-pipeline`, { headers: authHeaders });
    expect(revoke.status).toBe(204);
    // The product promises 2 s on every replica (each request looks the token up in PostgreSQL,
    // so it is immediate in practice): the wait fails beyond 2 s, no margin over the promise.
    await waitFor('ctl-2 refuses the revoked token within 2 s', async () => (await call(ctl2, 'GET', '/v1/apis', token)).status === 401, { timeoutMs: 2_000 });
    const refused = await call(ctl1, 'GET', '/v1/apis', token);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="gateway"');
  });

  it('records PUT, DELETE and the epoch under the token that made them, with the request id of the response', async () => {
    const deployer = await createToken(ctl1, 'release-bot', 'deployer');
    const admin = await createToken(ctl2, 'oncall', 'admin');
    const put = await call(ctl1, 'PUT', '/v1/apis/audited', deployer, simpleApi('audited', 'http://127.0.0.1:9'));
    expect(put.status, put.body).toBe(201);
    const del = await call(ctl2, 'DELETE', '/v1/apis/audited', deployer);
    expect(del.status, del.body).toBe(200);
    // The epoch is the admin's: the deployer gets 403, and nothing is recorded for it.
    expect((await call(ctl1, 'POST', '/v1/config/epoch', deployer)).status).toBe(403);
    const epoch = await call(ctl1, 'POST', '/v1/config/epoch', admin);
    expect(epoch.status, epoch.body).toBe(200);

    const audit = await call(ctl2, 'GET', '/v1/audit?limit=3', admin);
    expect(audit.status, audit.body).toBe(200);
    const { items, next } = audit.json();
    expect(next).not.toBeNull();
    expect(items.map((e: any) => [e.action, e.actor, e.requestId])).toEqual([
      ['epoch', 'oncall', epoch.headers['x-request-id']],
      ['delete', 'release-bot', del.headers['x-request-id']],
      ['put', 'release-bot', put.headers['x-request-id']],
    ]);
    expect(items[0].configVersion).toBe(epoch.json().configVersion);
    expect(items[1]).toMatchObject({ apiName: 'audited', configVersion: del.json().configVersion });
    // The viewer role reads, but not the audit log.
    const viewer = await createToken(ctl1, 'dashboard', 'viewer');
    expect((await call(ctl2, 'GET', '/v1/apis', viewer)).status).toBe(200);
    expect((await call(ctl2, 'GET', '/v1/audit', viewer)).status).toBe(403);
    expect((await call(ctl2, 'PUT', '/v1/apis/x', viewer, simpleApi('x', 'http://127.0.0.1:9'))).status).toBe(403);
  });

  it('keeps health, metrics, the public schema and the OpenAPI document open', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/v1/schemas/api-definition.json', '/v1/openapi.json']) {
      expect((await call(ctl1, 'GET', path, undefined)).status, path).toBe(200);
    }
  });
});

describe('secure by default', () => {
  async function controllerEnv(): Promise<Record<string, string>> {
    return {
      DATABASE_URL: db.url,
      CONTROLLER_HOST: '127.0.0.1',
      CONTROLLER_HTTP_PORT: String(await freePort()),
      CONTROLLER_GRPC_PORT: String(await freePort()),
    };
  }

  it('refuses to start without ADMIN_TOKEN, naming the variable and the opt-out', async () => {
    const proc = startApp('controller', 'no-token', { ...(await controllerEnv()), CONTROLLER_ID: 'no-token' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('ADMIN_TOKEN is required');
    expect(proc.output()).toContain('ADMIN_AUTH_DISABLED=true');
  });

  it('starts with ADMIN_AUTH_DISABLED=true, warns, and records changes as anonymous', async () => {
    const ctl = await startControllerProcess({ id: 'open', databaseUrl: db.url, env: { ADMIN_TOKEN: '', ADMIN_AUTH_DISABLED: 'true' } });
    await withOutput(ctl.proc, waitControllerReady(ctl));
    const warning = logRecords(ctl.proc).find((r) => r.level === 'warn' && /ADMIN_AUTH_DISABLED=true/.test(String(r.msg)));
    expect(warning).toBeDefined();
    const put = await call(ctl, 'PUT', '/v1/apis/open', undefined, simpleApi('open', 'http://127.0.0.1:9'));
    expect(put.status, put.body).toBe(201);
    const audit = await call(ctl, 'GET', '/v1/audit?api=open', undefined);
    expect(audit.json().items[0]).toMatchObject({ action: 'put', actor: 'anonymous', requestId: put.headers['x-request-id'] });
    await ctl.proc.stop();
  });
});
