import type { ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { listRevisions, notifyConfigVersion, bumpConfigVersion } from './api.repository.js';
import { listAudit } from './audit.repository.js';
import { CONFIG_CHANNEL, type ApiStore } from './api-store.js';
import type { Database } from './database.js';
import { createApiStore } from './pg-api-store.js';
import { createMigratedTempDatabase, type TempDatabase } from './testing/index.js';

function def(name: string, target = 'http://10.0.0.7:8080'): ApiDefinition {
  return plainApi(name, `/${name}`, [target]);
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

async function counts() {
  const [{ version }, revisions, audits] = await Promise.all([
    store.readConfigState(),
    database.db.selectFrom('api_revisions').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
    database.db.selectFrom('audit_log').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { version, revisions: revisions.n, audits: audits.n };
}

describe('createApiStore (PostgreSQL)', () => {
  it('creates then updates an API: revisions 1, 2 and one config version per write', async () => {
    const before = await store.readConfigState();
    const first = await store.putApi(def('orders'), { actor: 'alice' });
    expect(first).toMatchObject({ created: true, configVersion: before.version + 1, api: { revision: 1, definition: def('orders') } });
    expect(typeof first.api.createdAt).toBe('string');

    const second = await store.putApi(def('orders', 'http://10.0.0.8:8080'), { actor: 'bob', ifMatchRevision: 1 });
    expect(second).toMatchObject({ created: false, configVersion: before.version + 2, api: { revision: 2 } });
    expect(second.api.createdAt).toBe(first.api.createdAt);
    expect(second.api.definition.upstream.targets[0]?.url).toBe('http://10.0.0.8:8080');

    expect(await store.getApi('orders')).toEqual(second.api);
    expect(await store.readConfigState()).toEqual({ version: before.version + 2, epoch: 1 });
  });

  it('writes the immutable revision history and the audit log with each write', async () => {
    const a = await store.putApi(def('history'), { actor: 'alice' });
    const b = await store.putApi(def('history', 'http://10.0.0.9:80'), { actor: 'bob' });
    const d = await store.deleteApi('history', { actor: 'carol' });

    expect(await listRevisions(database.db, 'history')).toMatchObject([
      { revision: 1, definition: def('history'), configVersion: a.configVersion, actor: 'alice' },
      { revision: 2, definition: def('history', 'http://10.0.0.9:80'), configVersion: b.configVersion, actor: 'bob' },
      { revision: 3, definition: null, configVersion: d.configVersion, actor: 'carol' },
    ]);
    expect(await listAudit(database.db, 'history')).toMatchObject([
      { action: 'put', actor: 'alice', revision: 1, configVersion: a.configVersion },
      { action: 'put', actor: 'bob', revision: 2, configVersion: b.configVersion },
      { action: 'delete', actor: 'carol', revision: 3, configVersion: d.configVersion },
    ]);
    // History is evidence: the database refuses to rewrite it.
    await expect(sql`update api_revisions set actor = 'mallory' where name = 'history'`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where api_name = 'history'`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('rejects a stale If-Match with GW_PRECONDITION_FAILED and writes nothing', async () => {
    await store.putApi(def('guarded'), { actor: 'alice' });
    const before = await counts();

    const stale = await rejection(store.putApi(def('guarded', 'http://10.9.9.9:1'), { actor: 'bob', ifMatchRevision: 7 }));
    expect(stale.code).toBe(ErrorCodes.GW_PRECONDITION_FAILED);
    expect(stale.details).toMatchObject({ expectedRevision: 7, currentRevision: 1 });

    const missing = await rejection(store.putApi(def('never-created'), { actor: 'bob', ifMatchRevision: 1 }));
    expect(missing.code).toBe(ErrorCodes.GW_PRECONDITION_FAILED);

    const staleDelete = await rejection(store.deleteApi('guarded', { actor: 'bob', ifMatchRevision: 2 }));
    expect(staleDelete.code).toBe(ErrorCodes.GW_PRECONDITION_FAILED);

    expect(await counts()).toEqual(before);
    expect((await store.getApi('guarded'))?.revision).toBe(1);
    expect(await store.getApi('never-created')).toBeUndefined();
  });

  it('deletes an API and never reuses a revision when it is re-created', async () => {
    const created = await store.putApi(def('phoenix'), { actor: 'alice' });
    const deleted = await store.deleteApi('phoenix', { actor: 'alice', ifMatchRevision: 1 });
    expect(deleted).toEqual({ revision: 1, configVersion: created.configVersion + 1 });
    expect(await store.getApi('phoenix')).toBeUndefined();

    const notFound = await rejection(store.deleteApi('phoenix', { actor: 'alice' }));
    expect(notFound.code).toBe(ErrorCodes.GW_API_NOT_FOUND);

    // Revision 2 is the delete's tombstone, so the re-created API gets 3.
    const again = await store.putApi(def('phoenix'), { actor: 'alice' });
    expect(again).toMatchObject({ created: true, configVersion: deleted.configVersion + 1, api: { revision: 3 } });
  });

  it('lists the APIs with a base path (the only ones a write with it can conflict with)', async () => {
    await store.putApi({ ...def('nb-one'), basePath: '/neighbours' }, { actor: 'lister' });
    await store.putApi({ ...def('nb-two'), basePath: '/neighbours', hosts: ['nb.example'] }, { actor: 'lister' });
    await store.putApi({ ...def('nb-other'), basePath: '/neighbours-not' }, { actor: 'lister' });
    expect((await store.listRouteNeighbours('/neighbours')).map((d) => d.name).sort()).toEqual(['nb-one', 'nb-two']);
    expect(await store.listRouteNeighbours('/nobody-here')).toEqual([]);
  });

  it('lists APIs ordered by name (byte order) and reads a config state', async () => {
    for (const name of ['zeta', 'Alpha', 'beta']) await store.putApi(def(name), { actor: 'lister' });
    const names = (await store.listApis()).map((a) => a.definition.name);
    const expected = [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    expect(names).toEqual(expected);
    expect(names).toEqual(expect.arrayContaining(['Alpha', 'beta', 'zeta']));
    // Pages in the same order: after a name (exclusive, byte order: 'Alpha' < 'beta'), at most `limit`.
    const paged: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = (await store.listApis({ limit: 2, ...(after === undefined ? {} : { after }) })).map((a) => a.definition.name);
      expect(page.length).toBeLessThanOrEqual(2);
      paged.push(...page);
      if (page.length < 2) break;
      after = page[page.length - 1];
    }
    expect(paged).toEqual(names);
    expect((await store.listApis({ after: 'Alpha', limit: 1 })).map((a) => a.definition.name)).toEqual([names[names.indexOf('Alpha') + 1]]);
    expect(await store.listApis({ after: names[names.length - 1]! })).toEqual([]);
    expect(names.indexOf('Alpha')).toBeLessThan(names.indexOf('beta'));
  });

  it('hands out strictly increasing, gap-free versions to 20 concurrent writers, committed in order', async () => {
    const listener = new pg.Client({ connectionString: temp.url });
    const heard: number[] = [];
    listener.on('notification', (m) => heard.push(Number(m.payload)));
    await listener.connect();
    try {
      await listener.query(`listen ${CONFIG_CHANNEL}`);
      const start = (await store.readConfigState()).version;
      const writers = Array.from({ length: 20 }, async (_, i) => {
        const versions: number[] = [];
        // Each writer: its own API twice and one shared API once.
        versions.push((await store.putApi(def(`w${i}`), { actor: `w${i}` })).configVersion);
        versions.push((await store.putApi(def('shared', `http://10.0.0.${i + 1}:80`), { actor: `w${i}` })).configVersion);
        versions.push((await store.putApi(def(`w${i}`, 'http://10.1.1.1:80'), { actor: `w${i}` })).configVersion);
        return versions;
      });
      const all = (await Promise.all(writers)).flat().sort((a, b) => a - b);
      const expected = Array.from({ length: 60 }, (_, k) => start + k + 1);
      expect(all).toEqual(expected);
      expect(await store.readConfigState()).toMatchObject({ version: start + 60 });
      expect((await store.getApi('shared'))?.revision).toBe(20);
      expect((await listRevisions(database.db, 'shared')).map((r) => r.revision)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
      // Notifications are delivered in commit order: version order equals commit order.
      await waitFor('60 notification(s) heard', () => heard.length >= 60);
      expect(heard).toEqual(expected);
    } finally {
      await listener.end();
    }
  });

  it('gives exactly one of several concurrent creators of the same name created = true', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => store.putApi(def('race'), { actor: 'racer' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.map((r) => r.api.revision).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('notifies the new version after commit, and nothing for a rolled-back write', async () => {
    const listener = new pg.Client({ connectionString: temp.url });
    const heard: string[] = [];
    listener.on('notification', (m) => {
      if (m.channel === CONFIG_CHANNEL) heard.push(m.payload ?? '');
    });
    await listener.connect();
    try {
      await listener.query(`listen ${CONFIG_CHANNEL}`);

      const first = await store.putApi(def('bell'), { actor: 'alice' });
      await waitFor('1 notification(s) heard', () => heard.length >= 1);
      expect(heard).toEqual([String(first.configVersion)]);

      // A write that queues its notification and then rolls back.
      let queued = -1;
      await expect(
        database.db.transaction().execute(async (trx) => {
          queued = await bumpConfigVersion(trx);
          await notifyConfigVersion(trx, queued);
          // Not committed yet: a round trip on the listener must not bring it.
          await listener.query('select 1');
          expect(heard).toHaveLength(1);
          throw new Error('abort the write');
        }),
      ).rejects.toThrow('abort the write');
      expect(queued).toBe(first.configVersion + 1);

      // Notifications arrive in commit order, so once the next write's arrives, the
      // rolled-back one has provably not been delivered.
      const second = await store.putApi(def('bell'), { actor: 'alice' });
      expect(second.configVersion).toBe(first.configVersion + 1);
      await waitFor('2 notification(s) heard', () => heard.length >= 2);
      expect(heard).toEqual([String(first.configVersion), String(second.configVersion)]);
    } finally {
      await listener.end();
    }
  });

  it('reads the desired state in one snapshot: the version always matches the APIs', async () => {
    const prefix = 'snap';
    const base = await store.readConfigState();
    const baseNames = (await store.readDesiredState()).apis.map((a) => a.definition.name);
    const written: { name: string; version: number }[] = [];
    let writing = true;
    const writer = (async () => {
      try {
        for (let i = 0; i < 25; i++) {
          const name = `${prefix}-${String(i).padStart(2, '0')}`;
          written.push({ name, version: (await store.putApi(def(name), { actor: 'writer' })).configVersion });
        }
      } finally {
        writing = false;
      }
    })();
    const reads: Awaited<ReturnType<ApiStore['readDesiredState']>>[] = [];
    while (writing) reads.push(await store.readDesiredState());
    await writer;
    reads.push(await store.readDesiredState());

    expect(reads.length).toBeGreaterThan(1);
    for (const state of reads) {
      expect(state.version).toBeGreaterThanOrEqual(base.version);
      const expected = [...baseNames, ...written.filter((w) => w.version <= state.version).map((w) => w.name)].sort();
      expect(state.apis.map((a) => a.definition.name)).toEqual(expected);
      expect(state.epoch).toBe(1);
    }
    const last = reads.at(-1);
    expect(last?.version).toBe(written.at(-1)?.version);
    expect(last?.apis.find((a) => a.definition.name === `${prefix}-00`)).toEqual({ definition: def(`${prefix}-00`), revision: 1 });
  });
});
