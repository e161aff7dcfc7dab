// applyApis, rollbackApi and the revision reads over real PostgreSQL.
import { randomBytes } from 'node:crypto';
import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { SecretKeyRing } from '@gw/secret-seal';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from './audit.repository.js';
import type { ApiStore, ApplyOptions } from './api-store.js';
import { createApiStore } from './pg-api-store.js';
import { createMigratedTempDatabase, type MigratedTempDatabase } from './testing/index.js';

const def = (name: string, target = 'http://10.0.0.7:8080', basePath = `/${name}`): ApiDefinition => plainApi(name, basePath, [target]);
const ctx = { actor: 'ci', requestId: 'req-1' };
const apply = (options: Partial<ApplyOptions> = {}): ApplyOptions => ({ ...ctx, prune: false, dryRun: false, ...options });

function withHmacKey(name: string, secret: string): ApiDefinition {
  const result = validateApiDefinition({ ...def(name), policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: secret }] } } } });
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

let temp: MigratedTempDatabase;
let store: ApiStore;

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_apply' });
  store = createApiStore(temp.database.db, { secrets: new SecretKeyRing(randomBytes(32)) });
});

afterAll(async () => {
  await temp?.dispose();
});

async function counts() {
  const { db } = temp.database;
  const [{ version }, revisions, audits] = await Promise.all([
    store.readConfigState(),
    db.selectFrom('api_revisions').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { version, revisions: revisions.n, audits: audits.n };
}

describe('applyApis', () => {
  it('applies a set with one config version, then re-applying it changes nothing', async () => {
    const before = await counts();
    const result = await store.applyApis([def('ap-b'), def('ap-a')], apply());
    expect(result.configVersion).toBe(before.version + 1);
    expect(result.changes.map((c) => [c.name, c.action, c.revision])).toEqual([
      ['ap-a', 'create', 1],
      ['ap-b', 'create', 1],
    ]);
    expect(await counts()).toEqual({ version: before.version + 1, revisions: before.revisions + 2, audits: before.audits + 2 });
    const audit = (await listAudit(temp.database.db)).filter((a) => a.apiName?.startsWith('ap-'));
    expect(audit.map((a) => [a.action, a.apiName, a.actor, a.requestId, a.configVersion])).toEqual([
      ['apply', 'ap-a', 'ci', 'req-1', result.configVersion],
      ['apply', 'ap-b', 'ci', 'req-1', result.configVersion],
    ]);

    const again = await store.applyApis([def('ap-a'), def('ap-b')], apply());
    expect(again.configVersion).toBe(result.configVersion);
    expect(again.changes.map((c) => c.action)).toEqual(['unchanged', 'unchanged']);
    expect(await counts()).toEqual({ version: before.version + 1, revisions: before.revisions + 2, audits: before.audits + 2 });
  });

  it('writes nothing in a dry run but answers what would change', async () => {
    const before = await counts();
    const result = await store.applyApis([def('ap-a', 'http://10.0.0.8:8080'), def('ap-new')], apply({ dryRun: true, prune: true }));
    expect(result).toMatchObject({ dryRun: true, configVersion: before.version });
    expect(result.changes.map((c) => [c.name, c.action])).toEqual([
      ['ap-a', 'update'],
      ['ap-b', 'delete'],
      ['ap-new', 'create'],
    ]);
    expect(await counts()).toEqual(before);
    expect(await store.getApi('ap-new')).toBeUndefined();
  });

  it('prunes stored APIs missing from the set, with a tombstone revision each', async () => {
    const result = await store.applyApis([def('ap-a')], apply({ prune: true }));
    expect(result.changes.find((c) => c.name === 'ap-b')).toMatchObject({ action: 'delete', revision: 2 });
    expect(await store.getApi('ap-b')).toBeUndefined();
    expect((await store.listApis()).map((a) => a.definition.name)).toEqual(['ap-a']);
    const [tombstone] = await store.listRevisions('ap-b', { limit: 1 });
    expect(tombstone).toEqual({ name: 'ap-b', revision: 2, deleted: true, actor: 'ci', configVersion: result.configVersion, createdAt: expect.any(String) });
  });

  it('refuses a stale If-Match config version and a route conflict, changing nothing', async () => {
    const before = await counts();
    const stale = await rejection(store.applyApis([def('ap-c')], apply({ ifMatchConfigVersion: before.version - 1 })));
    expect(stale.code).toBe(ErrorCodes.GW_PRECONDITION_FAILED);
    const conflict = await rejection(store.applyApis([def('ap-c', undefined, '/ap-a')], apply()));
    expect(conflict.code).toBe(ErrorCodes.GW_ROUTE_CONFLICT);
    expect(conflict.details?.['errors']).toEqual([{ path: '/apis/0/basePath', message: 'any host/ap-a is already claimed by API "ap-a"' }]);
    expect(await counts()).toEqual(before);
    // With the matching version it goes through.
    expect((await store.applyApis([def('ap-c')], apply({ ifMatchConfigVersion: before.version }))).configVersion).toBe(before.version + 1);
  });

  it('applies 10 000 APIs in one transaction and one version', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => def(`bulk-${String(i).padStart(5, '0')}`));
    // What to keep when pruning, listed while the store is small (this test is about apply:
    // listing 10,000 definitions on a loaded machine can pass the statement timeout).
    const kept = (await store.listApis()).map((a) => a.definition);
    const before = await counts();
    const result = await store.applyApis(many, apply());
    expect(result.configVersion).toBe(before.version + 1);
    expect(result.changes.filter((c) => c.action === 'create')).toHaveLength(10_000);
    const after = await counts();
    expect(after).toEqual({ version: before.version + 1, revisions: before.revisions + 10_000, audits: before.audits + 10_000 });
    const again = await store.applyApis(many, apply());
    expect(again.configVersion).toBe(result.configVersion);
    // Prune them all again, so later tests see a small store.
    const pruned = await store.applyApis(kept, apply({ prune: true }));
    expect(pruned.changes.filter((c) => c.action === 'delete')).toHaveLength(10_000);
  }, 120_000);
});

describe('rollbackApi and revisions', () => {
  it('lists revisions newest first (without definitions), pages by revision, and reads one with secrets opened', async () => {
    const first = randomBytes(32).toString('base64url');
    const second = randomBytes(32).toString('base64url');
    await store.putApi(withHmacKey('rb-a', first), ctx);
    await store.putApi(withHmacKey('rb-a', second), ctx);
    const page = await store.listRevisions('rb-a', { limit: 1 });
    expect(page.map((r) => r.revision)).toEqual([2]);
    const older = await store.listRevisions('rb-a', { limit: 10, beforeRevision: 2 });
    expect(older.map((r) => r.revision)).toEqual([1]);
    expect((await store.getRevision('rb-a', 1))?.definition?.policies.auth?.jwt?.keys[0]).toMatchObject({ k: first });
    expect(await store.getRevision('rb-a', 9)).toBeUndefined();
    expect(await store.listRevisions('rb-none', { limit: 10 })).toEqual([]);
  });

  it('rolls back as a new revision audited as rollback; to the current content it changes nothing', async () => {
    const old = (await store.getRevision('rb-a', 1))!.definition!;
    const before = await counts();
    const result = await store.rollbackApi(old, ctx);
    expect(result).toMatchObject({ changed: true, created: false, configVersion: before.version + 1 });
    expect(result.api.revision).toBe(3);
    expect((await listAudit(temp.database.db, 'rb-a')).at(-1)).toMatchObject({ action: 'rollback', revision: 3, actor: 'ci' });
    const noop = await store.rollbackApi(old, ctx);
    expect(noop).toMatchObject({ changed: false, configVersion: before.version + 1 });
    expect(noop.api.revision).toBe(3);
    expect((await counts()).version).toBe(before.version + 1);
  });

  it('brings a deleted API back, and honours If-Match on its revision', async () => {
    await store.deleteApi('rb-a', ctx);
    const old = (await store.getRevision('rb-a', 2))!.definition!;
    const stale = await rejection(store.rollbackApi(old, { ...ctx, ifMatchRevision: 3 }));
    expect(stale.code).toBe(ErrorCodes.GW_PRECONDITION_FAILED);
    const result = await store.rollbackApi(old, ctx);
    expect(result).toMatchObject({ changed: true, created: true });
    expect(result.api.revision).toBe(5);
    expect((await store.getApi('rb-a'))?.definition).toEqual(old);
  });
});
