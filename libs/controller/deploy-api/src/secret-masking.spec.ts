// The deploy API never returns a secret: the HMAC secret of an inline JWT key is masked in
// every response (PUT, GET, list), a PUT that sends the mask back keeps the stored secret,
// and neither problems nor logs carry one. Real PostgreSQL; HTTP injected in-process.
import { randomBytes } from 'node:crypto';
import { REDACTED } from '@gw/api-schema';
import { recordingLogger } from '@gw/logging/testing';
import { createApiStore, createAuditStore, createTokenStore, type ApiStore, type Database } from '@gw/store';
import { createMigratedTempDatabase, type TempDatabase } from '@gw/store/testing';
import type express from 'express';
import inject from 'light-my-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';

const SECRET = randomBytes(32).toString('base64url');
const OTHER_SECRET = randomBytes(32).toString('base64url');
const KEY_HASH = 'c'.repeat(64);

function definition(k: string, kid = 'hs-1') {
  return {
    name: 'orders',
    basePath: '/orders',
    upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] },
    policies: { auth: { apiKey: { keys: [{ sha256: KEY_HASH, consumer: 'alice' }] }, jwt: { keys: [{ kty: 'oct', kid, k }] } } },
  };
}

let temp: TempDatabase;
let database: Database;
let store: ApiStore;
let app: express.Express;
const logger = recordingLogger();

function put(body: unknown, headers: Record<string, string> = {}) {
  return inject(app, { method: 'PUT', url: '/v1/apis/orders', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
}

function get(url: string) {
  return inject(app, { method: 'GET', url });
}

async function storedSecret(): Promise<string | undefined> {
  return (await store.getApi('orders'))?.definition.policies.auth?.jwt?.keys[0]?.k;
}

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase({ prefix: 'gw_test_secrets', poolMax: 4 }));
  store = createApiStore(database.db);
  app = createControllerHttpApp({ store, tokens: createTokenStore(database.db), audit: createAuditStore(database.db), authDisabled: true, readiness: () => ({ ready: true, checks: {} }), logger });
});

afterAll(async () => {
  await database?.close();
  await temp?.drop();
});

describe('secrets in the deploy API', () => {
  it('stores the secret but masks it in the PUT response, GET and the list; key hashes are shown as stored', async () => {
    const created = await put(definition(SECRET));
    expect(created.statusCode).toBe(201);
    const texts = [created.payload, (await get('/v1/apis/orders')).payload, (await get('/v1/apis')).payload];
    for (const text of texts) {
      expect(text).not.toContain(SECRET);
      expect(text).toContain(`"k":"${REDACTED}"`);
      expect(text).toContain(KEY_HASH);
    }
    expect(await storedSecret()).toBe(SECRET);
  });

  it('keeps the stored secret when a PUT sends the mask back (GET → PUT round-trips), and replaces it when a new one is sent', async () => {
    const got = (await get('/v1/apis/orders')).json<{ api: unknown }>();
    const again = await put({ ...(got.api as object), stripBasePath: false });
    expect(again.statusCode).toBe(200);
    expect(again.payload).not.toContain(SECRET);
    expect(await storedSecret()).toBe(SECRET);
    expect((await store.getApi('orders'))?.definition.stripBasePath).toBe(false);

    expect((await put(definition(OTHER_SECRET))).statusCode).toBe(200);
    expect(await storedSecret()).toBe(OTHER_SECRET);
  });

  it('refuses a mask it cannot resolve (a kid the stored API does not have) at the key, changing nothing', async () => {
    const res = await put(definition(REDACTED, 'unknown-kid'));
    expect(res.statusCode).toBe(400);
    const problem = res.json<{ code: string; errors: { path: string; message: string }[] }>();
    expect(problem.code).toBe('GW_VALIDATION');
    expect(problem.errors.map((e) => e.path)).toEqual(['policies.auth.jwt.keys[0].k']);
    expect(await storedSecret()).toBe(OTHER_SECRET);
  });

  it('never echoes a secret in a problem document, nor logs one', async () => {
    const weak = randomBytes(8).toString('base64url');
    const plaintextKey = 'sk_live_plaintext_key_0123456789';
    const res = await put({
      ...definition(weak),
      policies: { auth: { apiKey: { keys: [{ key: plaintextKey, consumer: 'bob' }] }, jwt: { keys: [{ kty: 'oct', kid: 'x', k: weak }] } } },
    });
    expect(res.statusCode).toBe(400);
    const text = res.payload;
    expect(text).toContain('policies.auth.apiKey.keys[0].key');
    expect(text).toContain('policies.auth.jwt.keys[0].k');
    for (const s of [weak, plaintextKey, SECRET, OTHER_SECRET]) {
      expect(text).not.toContain(s);
      expect(logger.lines().join('\n')).not.toContain(s);
    }
  });
});
