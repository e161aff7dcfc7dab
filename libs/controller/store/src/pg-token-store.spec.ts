import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from './audit.repository.js';
import { createAuditStore, createTokenStore } from './pg-token-store.js';
import { createMigratedTempDatabase, type MigratedTempDatabase } from './testing/index.js';
import type { TokenStore } from './token-store.js';

const hash = (c: string) => c.repeat(64);
let temp: MigratedTempDatabase;
let tokens: TokenStore;

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_token_store', poolMax: 2 });
  tokens = createTokenStore(temp.database.db);
});
afterAll(async () => {
  await temp?.dispose();
});

describe('token store', () => {
  it('creates with its audit entry at the current version, and a taken name changes nothing', async () => {
    const created = await tokens.createToken({ name: 'ci', role: 'deployer', tokenHash: hash('a') }, { actor: 'admin', requestId: 'req-1' });
    expect(created).toMatchObject({ name: 'ci', role: 'deployer', createdBy: 'admin', expiresAt: null, lastUsedAt: null });
    await expect(tokens.createToken({ name: 'ci', role: 'admin', tokenHash: hash('b') }, { actor: 'admin', requestId: 'req-2' })).rejects.toMatchObject({
      code: 'GW_CONFLICT',
    });
    const audit = await listAudit(temp.database.db);
    expect(audit.map((a) => [a.action, a.tokenName, a.requestId, a.configVersion])).toEqual([['token_create', 'ci', 'req-1', 0]]);
    expect((await tokens.listTokens()).map((t) => t.role)).toEqual(['deployer']);
  });

  it('finds by hash, with expiry decided by the database clock', async () => {
    await tokens.createToken({ name: 'old', role: 'viewer', tokenHash: hash('c'), expiresAt: new Date(Date.now() + 3_600_000) }, { actor: 'admin' });
    expect(await tokens.findTokenByHash(hash('c'))).toMatchObject({ name: 'old', role: 'viewer', expired: false });
    await sql`update admin_tokens set expires_at = now() - interval '1 second' where name = 'old'`.execute(temp.database.db);
    expect(await tokens.findTokenByHash(hash('c'))).toMatchObject({ expired: true });
    expect(await tokens.findTokenByHash(hash('f'))).toBeUndefined();
  });

  it('records the last use at most once per interval', async () => {
    await tokens.touchToken('ci', 60_000);
    const first = (await tokens.findTokenByHash(hash('a')))!.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await tokens.touchToken('ci', 60_000);
    expect((await tokens.findTokenByHash(hash('a')))!.lastUsedAt).toEqual(first);
    // A use older than the interval is replaced.
    await sql`update admin_tokens set last_used_at = now() - interval '2 minutes' where name = 'ci'`.execute(temp.database.db);
    const old = (await tokens.findTokenByHash(hash('a')))!.lastUsedAt!;
    await tokens.touchToken('ci', 60_000);
    expect((await tokens.findTokenByHash(hash('a')))!.lastUsedAt!.getTime()).toBeGreaterThan(old.getTime() + 60_000);
  });

  it('revokes with its audit entry; an unknown name is GW_NOT_FOUND', async () => {
    await tokens.revokeToken('ci', { actor: 'ops', requestId: 'req-3' });
    expect(await tokens.findTokenByHash(hash('a'))).toBeUndefined();
    await expect(tokens.revokeToken('ci', { actor: 'ops' })).rejects.toMatchObject({ code: 'GW_NOT_FOUND' });
    const last = (await createAuditStore(temp.database.db).queryAudit({ limit: 1 }))[0];
    expect(last).toMatchObject({ action: 'token_revoke', actor: 'ops', tokenName: 'ci', requestId: 'req-3' });
  });

  it('lets the database refuse an audit entry whose subject does not fit its action', async () => {
    await expect(
      sql`insert into audit_log (actor, action, api_name, revision, config_version) values ('x', 'token_create', 'orders', 1, 0)`.execute(temp.database.db),
    ).rejects.toThrow(/audit_log_subject_check/);
    await expect(sql`insert into audit_log (actor, action, config_version, token_name) values ('x', 'put', 0, 't')`.execute(temp.database.db)).rejects.toThrow(
      /audit_log_subject_check/,
    );
  });
});
