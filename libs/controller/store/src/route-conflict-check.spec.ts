import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiStore } from './api-store.js';
import type { Database } from './database.js';
import { createApiStore } from './pg-api-store.js';
import { createMigratedTempDatabase, type TempDatabase } from './testing/index.js';

function def(name: string, basePath: string, hosts: string[] = []): ApiDefinition {
  const result = validateApiDefinition({ name, basePath, hosts, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

let temp: TempDatabase;
let database: Database;
let store: ApiStore;

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase());
  store = createApiStore(database.db);
});

afterAll(async () => {
  await database?.close();
  await temp?.drop();
});

describe('putApi route conflict check (PostgreSQL)', () => {
  it('refuses a host + base path another API serves with GW_ROUTE_CONFLICT naming the owner, and writes nothing', async () => {
    await store.putApi(def('shop', '/shop', ['shop.example.com', '*.example.com']), { actor: 't' });
    const before = await store.readConfigState();
    const err = await rejection(store.putApi(def('thief', '/shop', ['other.example.com', 'shop.example.com']), { actor: 't' }));
    expect(err.code).toBe(ErrorCodes.GW_ROUTE_CONFLICT);
    expect(err.message).toContain('API "shop"');
    expect(err.details).toMatchObject({
      conflicts: [{ host: 'shop.example.com', basePath: '/shop', api: 'shop' }],
      errors: [{ path: 'hosts[1]', message: 'shop.example.com/shop is already served by API "shop"' }],
    });
    // The transaction rolled back: no API, no version bump.
    expect(await store.getApi('thief')).toBeUndefined();
    expect(await store.readConfigState()).toEqual(before);

    const wildcard = await rejection(store.putApi(def('wild', '/shop', ['*.example.com']), { actor: 't' }));
    expect(wildcard.code).toBe(ErrorCodes.GW_ROUTE_CONFLICT);
  });

  it('refuses a second any-host API on one base path', async () => {
    await store.putApi(def('any-a', '/any'), { actor: 't' });
    const err = await rejection(store.putApi(def('any-b', '/any'), { actor: 't' }));
    expect(err.code).toBe(ErrorCodes.GW_ROUTE_CONFLICT);
    expect(err.details).toMatchObject({ errors: [{ path: 'basePath', message: 'any host/any is already served by API "any-a"' }] });
  });

  it('accepts an exact host under a wildcard, a host-specific API beside an any-host one, other base paths, and rewriting the owner itself', async () => {
    await store.putApi(def('wide', '/w', ['*.w.example.com']), { actor: 't' });
    await expect(store.putApi(def('narrow', '/w', ['a.w.example.com']), { actor: 't' })).resolves.toMatchObject({ created: true });
    await expect(store.putApi(def('w-any', '/w'), { actor: 't' })).resolves.toMatchObject({ created: true });
    await expect(store.putApi(def('w-deeper', '/w/v2', ['*.w.example.com']), { actor: 't' })).resolves.toMatchObject({ created: true });
    await expect(store.putApi(def('wide', '/w', ['*.w.example.com', 'b.example.com']), { actor: 't' })).resolves.toMatchObject({ created: false });
  });

  it('frees a route when its owner is deleted', async () => {
    await store.putApi(def('old-owner', '/free'), { actor: 't' });
    await rejection(store.putApi(def('new-owner', '/free'), { actor: 't' }));
    await store.deleteApi('old-owner', { actor: 't' });
    await expect(store.putApi(def('new-owner', '/free'), { actor: 't' })).resolves.toMatchObject({ created: true });
  });

  it('lets exactly one of several concurrent writers claim the same route', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.putApi(def(`racer-${i}`, '/race', ['race.example.com']), { actor: 't' })));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(5);
    for (const r of lost) expect((r.reason as GatewayError).code).toBe(ErrorCodes.GW_ROUTE_CONFLICT);
  });
});
