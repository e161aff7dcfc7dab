// The deploy API never returns a secret: the HMAC secret of an inline JWT key is masked in
// every response (PUT, GET, list), a PUT that sends the mask back keeps the stored secret,
// and neither problems nor logs carry one. Real PostgreSQL, real HTTP.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { REDACTED } from '@gw/api-schema';
import type { Logger } from '@gw/logging';
import { createApiStore, createDatabase, migrateToLatest, type ApiStore, type Database } from '@gw/store';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
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
let server: Server;
let base: string;
const logged: string[] = [];

const logger: Logger = {
  debug: (fields, msg) => void logged.push(JSON.stringify({ fields, msg })),
  info: (fields, msg) => void logged.push(JSON.stringify({ fields, msg })),
  warn: (fields, msg) => void logged.push(JSON.stringify({ fields, msg })),
  error: (fields, msg) => void logged.push(JSON.stringify({ fields, msg })),
  child: () => logger,
} as Logger;

function put(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}/v1/apis/orders`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function storedSecret(): Promise<string | undefined> {
  return (await store.getApi('orders'))?.definition.policies.auth?.jwt?.keys[0]?.k;
}

beforeAll(async () => {
  temp = await createTempDatabase({ prefix: 'gw_test_secrets' });
  database = createDatabase({ connectionString: temp.url, poolMax: 4 });
  await migrateToLatest(database.db);
  store = createApiStore(database.db);
  server = createServer(createControllerHttpApp({ store, readiness: () => ({ ready: true, checks: {} }), logger }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await database?.close();
  await temp?.drop();
});

describe('secrets in the deploy API', () => {
  it('stores the secret but masks it in the PUT response, GET and the list; key hashes are shown as stored', async () => {
    const created = await put(definition(SECRET));
    expect(created.status).toBe(201);
    const texts = [await created.text(), await (await fetch(`${base}/v1/apis/orders`)).text(), await (await fetch(`${base}/v1/apis`)).text()];
    for (const text of texts) {
      expect(text).not.toContain(SECRET);
      expect(text).toContain(`"k":"${REDACTED}"`);
      expect(text).toContain(KEY_HASH);
    }
    expect(await storedSecret()).toBe(SECRET);
  });

  it('keeps the stored secret when a PUT sends the mask back (GET → PUT round-trips), and replaces it when a new one is sent', async () => {
    const got = (await (await fetch(`${base}/v1/apis/orders`)).json()) as { api: unknown };
    const again = await put({ ...(got.api as object), stripBasePath: false });
    expect(again.status).toBe(200);
    expect(await again.text()).not.toContain(SECRET);
    expect(await storedSecret()).toBe(SECRET);
    expect((await store.getApi('orders'))?.definition.stripBasePath).toBe(false);

    expect((await put(definition(OTHER_SECRET))).status).toBe(200);
    expect(await storedSecret()).toBe(OTHER_SECRET);
  });

  it('refuses a mask it cannot resolve (a kid the stored API does not have) at the key, changing nothing', async () => {
    const res = await put(definition(REDACTED, 'unknown-kid'));
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; errors: { path: string; message: string }[] };
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
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('policies.auth.apiKey.keys[0].key');
    expect(text).toContain('policies.auth.jwt.keys[0].k');
    for (const s of [weak, plaintextKey, SECRET, OTHER_SECRET]) {
      expect(text).not.toContain(s);
      expect(logged.join('\n')).not.toContain(s);
    }
  });
});
