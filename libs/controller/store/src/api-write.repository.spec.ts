import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as repo from './api.repository.js';
import { readWriteBasis, writeApi } from './api-write.repository.js';
import type { Database } from './database.js';
import { createApiStore } from './pg-api-store.js';
import { createMigratedTempDatabase, type TempDatabase } from './testing/index.js';

function def(name: string, basePath: string, hosts: string[] = []): ApiDefinition {
  const result = validateApiDefinition({ name, basePath, hosts, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

let temp: TempDatabase;
let database: Database;

beforeAll(async () => {
  ({ temp, database } = await createMigratedTempDatabase());
});
afterAll(async () => {
  await database?.close();
  await temp?.drop();
});

describe('a single write: decided without the lock, written in one statement (gw_write_api)', () => {
  it('writes when the basis still holds: the basis read and the re-check under the lock agree, neighbours included', async () => {
    const store = createApiStore(database.db);
    await store.putApi(def('shop-a', '/shop', ['a.example.com']), { actor: 't' });
    await store.putApi(def('shop-b', '/shop', ['b.example.com']), { actor: 't' });
    const before = await repo.readConfigState(database.db);
    const basis = await readWriteBasis(database.db, 'shop-c', '/shop');
    expect(basis).toMatchObject({ currentRevision: undefined, lastRevision: 0 });
    expect(basis.neighbours.map((n) => n.name).sort()).toEqual(['shop-a', 'shop-b']);
    const written = await writeApi(database.db, { name: 'shop-c', definition: def('shop-c', '/shop', ['c.example.com']), action: 'put', actor: 't', basis }, true);
    expect(written).toMatchObject({ configVersion: before.version + 1, revision: 1 });
    expect((await repo.findApi(database.db, 'shop-c'))?.revision).toBe(1);
  });

  it('writes nothing and makes no version when the name was written after the basis was read', async () => {
    const store = createApiStore(database.db);
    await store.putApi(def('moving', '/moving'), { actor: 't' });
    const basis = await readWriteBasis(database.db, 'moving', '/moving');
    await store.putApi({ ...def('moving', '/moving'), stripBasePath: false }, { actor: 'other' });
    const before = await repo.readConfigState(database.db);
    const written = await writeApi(database.db, { name: 'moving', definition: def('moving', '/moving'), action: 'put', actor: 't', basis }, true);
    expect(written).toBeUndefined();
    expect((await repo.readConfigState(database.db)).version).toBe(before.version);
    expect((await repo.findApi(database.db, 'moving'))?.revision).toBe(2);
  });

  it('writes nothing when an API with the same base path changed after the basis was read (its route claims may now conflict)', async () => {
    const store = createApiStore(database.db);
    const basis = await readWriteBasis(database.db, 'late', '/contested');
    // Someone claims the same route meanwhile: the decision "no conflict" is stale.
    await store.putApi(def('early', '/contested'), { actor: 'other' });
    const written = await writeApi(database.db, { name: 'late', definition: def('late', '/contested'), action: 'put', actor: 't', basis }, true);
    expect(written).toBeUndefined();
    expect(await repo.findApi(database.db, 'late')).toBeUndefined();
    // Through the store, the write is decided again and refused as the conflict it is.
    await expect(store.putApi(def('late', '/contested'), { actor: 't' })).rejects.toMatchObject({ code: 'GW_ROUTE_CONFLICT' });
  });
});
