import { randomBytes } from 'node:crypto';
import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { SecretKeyRing } from '@gw/secret-seal';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDesiredStateSource, type DesiredStateDelta, type VersionMark } from './desired-state-delta.js';
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

/** name → stamp, as a reader that compiled these rows holds them. */
function stamps(delta: DesiredStateDelta, held = new Map<string, string>()): Map<string, string> {
  const out = new Map(held);
  for (const name of delta.removed) out.delete(name);
  for (const api of delta.changed) out.set(api.definition.name, api.stamp);
  return out;
}

const names = (delta: DesiredStateDelta) => delta.changed.map((a) => a.definition.name).sort();

describe('createDesiredStateSource (PostgreSQL)', () => {
  it('answers only the APIs whose row changed, and the names deleted, at the version of the same snapshot', async () => {
    const d = await migrated();
    const store = createApiStore(d.database.db);
    const source = createDesiredStateSource(d.database.db);
    for (const name of ['a', 'b', 'c', 'd']) await store.putApi(def(name), { actor: 'test' });
    // Holding nothing, the change is the whole state, as readDesiredState gives it.
    const first = await source.readDesiredStateDelta(new Map());
    const whole = await store.readDesiredState();
    expect({ version: first.version, epoch: first.epoch }).toEqual({ version: whole.version, epoch: whole.epoch });
    expect(first.changed.map(({ definition, revision }) => ({ definition, revision })).sort((x, y) => (x.definition.name < y.definition.name ? -1 : 1))).toEqual(whole.apis);
    const held = stamps(first);
    expect(await source.readDesiredStateDelta(held)).toEqual({ version: whole.version, epoch: whole.epoch, changed: [], removed: [], mark: first.mark });

    await store.putApi(def('b', 'http://10.0.0.8:8080'), { actor: 'test' });
    await store.deleteApi('c', { actor: 'test' });
    await store.putApi(def('e'), { actor: 'test' });
    // Deleted and re-created: a new revision, so it counts as changed even with the same content.
    await store.deleteApi('d', { actor: 'test' });
    const { configVersion } = await store.putApi(def('d'), { actor: 'test' });

    const delta = await source.readDesiredStateDelta(held);
    const after = await store.readDesiredState();
    expect(delta.version).toBe(configVersion);
    expect(delta.removed).toEqual(['c']);
    expect(names(delta)).toEqual(['b', 'd', 'e']);
    for (const api of delta.changed) expect(after.apis).toContainEqual({ definition: api.definition, revision: api.revision });
    expect(delta.changed.find((a) => a.definition.name === 'd')!.revision).toBe(3);
  });

  it('reads a row again when it was rewritten at the same revision (a restored database written to before the epoch bump)', async () => {
    const d = await migrated();
    const store = createApiStore(d.database.db);
    const source = createDesiredStateSource(d.database.db);
    await store.putApi(def('a'), { actor: 'test' });
    await store.putApi(def('b'), { actor: 'test' });
    const held = stamps(await source.readDesiredStateDelta(new Map()));
    // Other content under the same revision, as after a restore plus one write.
    const other = JSON.stringify(def('b', 'http://10.0.0.9:8080'));
    await sql`update apis set definition = ${other}::jsonb where name = 'b'`.execute(d.database.db);
    const delta = await source.readDesiredStateDelta(held);
    expect(names(delta)).toEqual(['b']);
    expect(delta.changed[0]!.revision).toBe(1);
    expect(delta.changed[0]!.definition.upstream.targets[0]!.url).toBe('http://10.0.0.9:8080');
  });

  it('never opens an unchanged row: a sealed secret it cannot open stays untouched', async () => {
    const d = await migrated();
    const ring = new SecretKeyRing(randomBytes(32));
    const sealing = createApiStore(d.database.db, { secrets: ring });
    await sealing.putApi(withHmacKey('sealed'), { actor: 'test' });
    const held = stamps(await createDesiredStateSource(d.database.db, { secrets: ring }).readDesiredStateDelta(new Map()));
    // A source without the key: reading the sealed row fails...
    const keyless = createDesiredStateSource(d.database.db);
    await expect(keyless.readDesiredStateDelta(new Map())).rejects.toMatchObject({ code: 'GW_SECRET_KEY_REQUIRED' });
    // ...while a change elsewhere is read, because the sealed row is held and unchanged.
    await createApiStore(d.database.db).putApi(def('plain'), { actor: 'test' });
    const delta = await keyless.readDesiredStateDelta(held);
    expect(names(delta)).toEqual(['plain']);
    // Once it changes, it is read and opened (here: it cannot be).
    await sealing.putApi(withHmacKey('sealed'), { actor: 'test' });
    await expect(keyless.readDesiredStateDelta(stamps(delta, held))).rejects.toMatchObject({ code: 'GW_SECRET_KEY_REQUIRED' });
  });

  it('from a marked version, reads only the names written since, with the answer of the whole-stamps read', async () => {
    const d = await migrated();
    const store = createApiStore(d.database.db);
    const source = createDesiredStateSource(d.database.db);
    await store.applyApis(['a', 'b', 'c', 'd', 'e'].map((n) => def(n)), { actor: 'test', prune: false, dryRun: false });
    const first = await source.readDesiredStateDelta(new Map());
    expect(first.mark).toMatch(/^\d+$/);
    const since: VersionMark = { epoch: first.epoch, version: first.version, mark: first.mark! };
    const held = stamps(first);
    // Nothing written since: nothing changed.
    expect(await source.readDesiredStateDelta(held, since)).toMatchObject({ changed: [], removed: [] });

    await store.putApi(def('b', 'http://10.0.0.8:8080'), { actor: 'test' });
    await store.deleteApi('c', { actor: 'test' });
    await store.putApi(def('f'), { actor: 'test' });
    await store.deleteApi('f', { actor: 'test' }); // created and gone again: nothing to tell
    await store.deleteApi('d', { actor: 'test' });
    await store.putApi(def('d'), { actor: 'test' }); // same content, new revision
    await store.applyApis([def('e', 'http://10.0.0.9:8080'), def('g')], { actor: 'test', prune: false, dryRun: false });
    const viaLog = await source.readDesiredStateDelta(held, since);
    const viaStamps = await source.readDesiredStateDelta(held);
    const sorted = (x: DesiredStateDelta) => ({ ...x, changed: [...x.changed].sort((p, q) => (p.definition.name < q.definition.name ? -1 : 1)) });
    expect(sorted(viaLog)).toEqual(sorted(viaStamps));
    expect(viaLog.removed).toEqual(['c']);
    expect(names(viaLog)).toEqual(['b', 'd', 'e', 'g']);

    // The log read really answers from the log: a row rewritten without a revision row (no
    // write path does that) is left out by it, while the whole-stamps read sees it.
    await sql`update apis set definition = ${JSON.stringify(def('a', 'http://10.0.0.7:9090'))}::jsonb where name = 'a'`.execute(d.database.db);
    expect(names(await source.readDesiredStateDelta(stamps(viaLog, held), { epoch: viaLog.epoch, version: viaLog.version, mark: viaLog.mark! }))).toEqual([]);
    expect(names(await source.readDesiredStateDelta(stamps(viaLog, held)))).toEqual(['a']);
  });

  it('from a marked version whose rows another transaction wrote (a restore), or of another epoch, reads every stamp', async () => {
    const d = await migrated();
    const store = createApiStore(d.database.db);
    const source = createDesiredStateSource(d.database.db);
    await store.putApi(def('a'), { actor: 'test' });
    await store.putApi(def('b'), { actor: 'test' });
    const first = await source.readDesiredStateDelta(new Map());
    const since: VersionMark = { epoch: first.epoch, version: first.version, mark: first.mark! };
    const held = stamps(first);
    // A restore writes every row anew (here: the same revisions, b with other content),
    // then a write moves the version on: no revision row after `since` names b.
    const other = JSON.stringify(def('b', 'http://10.0.0.9:8080'));
    await d.database.db.transaction().execute(async (trx) => {
      await sql`alter table api_revisions disable trigger api_revisions_append_only`.execute(trx);
      await sql`update api_revisions set definition = definition`.execute(trx);
      await sql`alter table api_revisions enable trigger api_revisions_append_only`.execute(trx);
      await sql`update apis set definition = ${other}::jsonb where name = 'b'`.execute(trx);
    });
    await store.putApi(def('c'), { actor: 'test' });
    const delta = await source.readDesiredStateDelta(held, since);
    expect(names(delta)).toEqual(['b', 'c']);
    expect(delta.changed.find((a) => a.definition.name === 'b')!.definition.upstream.targets[0]!.url).toBe('http://10.0.0.9:8080');
    // Another epoch than the mark's: every stamp too (the refresher compiles the whole state then anyway).
    await sql`update apis set definition = ${JSON.stringify(def('a', 'http://10.0.0.3:8080'))}::jsonb where name = 'a'`.execute(d.database.db);
    expect(names(await source.readDesiredStateDelta(stamps(delta, held), { ...since, epoch: since.epoch + 1 }))).toEqual(['a']);
  });
});
