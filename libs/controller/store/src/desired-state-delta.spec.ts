import { randomBytes } from 'node:crypto';
import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { SecretKeyRing } from '@gw/secret-seal';
import { afterEach, describe, expect, it } from 'vitest';
import { createDesiredStateSource } from './desired-state-delta.js';
import { createApiStore } from './pg-api-store.js';
import { createMigratedTempDatabase, type MigratedTempDatabase } from './testing/index.js';

const databases: MigratedTempDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.dispose();
});

async function migrated(): Promise<MigratedTempDatabase> {
  const d = await createMigratedTempDatabase();
  databases.push(d);
  return d;
}

function def(name: string, target = 'http://10.0.0.7:8080'): ApiDefinition {
  return plainApi(name, `/${name}`, [target]);
}

function withHmacKey(name: string): ApiDefinition {
  const k = randomBytes(32).toString('base64url');
  const result = validateApiDefinition({ ...def(name), policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k }] } } } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

/** name → revision, as a reader that compiled this state holds it. */
function revisions(apis: readonly { definition: ApiDefinition; revision: number }[]): Map<string, number> {
  return new Map(apis.map((a) => [a.definition.name, a.revision]));
}

describe('createDesiredStateSource (PostgreSQL)', () => {
  it('answers only the APIs whose revision changed, and the names deleted, at the version of the same snapshot', async () => {
    const d = await migrated();
    const store = createApiStore(d.database.db);
    const source = createDesiredStateSource(d.database.db);
    for (const name of ['a', 'b', 'c', 'd']) await store.putApi(def(name), { actor: 'test' });
    const before = await source.readDesiredState();
    expect(await source.readDesiredStateDelta(revisions(before.apis))).toEqual({ version: before.version, epoch: before.epoch, changed: [], removed: [] });

    await store.putApi(def('b', 'http://10.0.0.8:8080'), { actor: 'test' });
    await store.deleteApi('c', { actor: 'test' });
    await store.putApi(def('e'), { actor: 'test' });
    // Deleted and re-created: a new revision, so it counts as changed even with the same content.
    await store.deleteApi('d', { actor: 'test' });
    const { configVersion } = await store.putApi(def('d'), { actor: 'test' });

    const delta = await source.readDesiredStateDelta(revisions(before.apis));
    const after = await source.readDesiredState();
    expect(delta.version).toBe(configVersion);
    expect(delta.removed).toEqual(['c']);
    const byName = (x: { definition: ApiDefinition }, y: { definition: ApiDefinition }) => (x.definition.name < y.definition.name ? -1 : 1);
    expect([...delta.changed].sort(byName)).toEqual(after.apis.filter((a) => ['b', 'd', 'e'].includes(a.definition.name)));
    expect(delta.changed.find((a) => a.definition.name === 'd')!.revision).toBe(3);
    // Holding nothing, the change is the whole state.
    expect([...(await source.readDesiredStateDelta(new Map())).changed].sort(byName)).toEqual(after.apis);
  });

  it('never reads or opens an unchanged row: a sealed secret it cannot open stays untouched', async () => {
    const d = await migrated();
    const sealing = createApiStore(d.database.db, { secrets: new SecretKeyRing(randomBytes(32)) });
    const sealed = await sealing.putApi(withHmacKey('sealed'), { actor: 'test' });
    // A source without the key: a full read fails on the sealed row...
    const keyless = createDesiredStateSource(d.database.db);
    await expect(keyless.readDesiredState()).rejects.toMatchObject({ code: 'GW_SECRET_KEY_REQUIRED' });
    // ...while a change elsewhere is read, because the sealed row's revision is known and unchanged.
    await createApiStore(d.database.db).putApi(def('plain'), { actor: 'test' });
    const delta = await keyless.readDesiredStateDelta(new Map([['sealed', sealed.api.revision]]));
    expect(delta.changed.map((a) => a.definition.name)).toEqual(['plain']);
    expect(delta.removed).toEqual([]);
    // Once it changes, it is read and opened (here: it cannot be).
    await sealing.putApi(withHmacKey('sealed'), { actor: 'test' });
    await expect(keyless.readDesiredStateDelta(new Map([['sealed', sealed.api.revision], ['plain', 1]]))).rejects.toMatchObject({ code: 'GW_SECRET_KEY_REQUIRED' });
  });
});
