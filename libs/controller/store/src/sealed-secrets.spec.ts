import { randomBytes } from 'node:crypto';
import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { SecretKeyRing } from '@gw/secret-seal';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { listRevisions } from './api.repository.js';
import { createApiStore } from './pg-api-store.js';
import { checkSealedSecrets, resealSecrets } from './sealed-secrets.js';
import { createMigratedTempDatabase, type MigratedTempDatabase } from './testing/index.js';

function withHmacKey(name: string, secret: string): ApiDefinition {
  const result = validateApiDefinition({ ...plainApi(name, `/${name}`, ['http://10.0.0.7:8080']), policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: secret }] } } } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const open: MigratedTempDatabase[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.dispose();
});
async function database(): Promise<MigratedTempDatabase> {
  const d = await createMigratedTempDatabase();
  open.push(d);
  return d;
}

/** Every row's definition as PostgreSQL holds it, as text. */
async function rawRows(d: MigratedTempDatabase): Promise<string> {
  const apis = await sql<{ t: string }>`select definition::text as t from apis`.execute(d.database.db);
  const revisions = await sql<{ t: string }>`select definition::text as t from api_revisions where definition is not null`.execute(d.database.db);
  return [...apis.rows, ...revisions.rows].map((r) => r.t).join('\n');
}

describe('secrets sealed at rest (PostgreSQL)', () => {
  it('stores no plaintext secret in the API row or its revisions, and reads plaintext back', async () => {
    const d = await database();
    const secret = randomBytes(32).toString('base64url');
    const ring = new SecretKeyRing(randomBytes(32));
    const store = createApiStore(d.database.db, { secrets: ring });

    const put = await store.putApi(withHmacKey('orders', secret), { actor: 'test' });
    await store.putApi(withHmacKey('orders', secret), { actor: 'test' });
    expect(put.api.definition.policies.auth!.jwt!.keys[0]!.k).toBe(secret);

    const raw = await rawRows(d);
    expect(raw.split('\n')).toHaveLength(3);
    expect(raw).not.toContain(secret);
    expect(raw.match(/\$sealed:v1:[0-9a-f]{16}:/g)).toHaveLength(3);
    expect(raw).toContain(`$sealed:v1:${ring.currentKid}:`);

    expect((await store.getApi('orders'))!.definition.policies.auth!.jwt!.keys[0]!.k).toBe(secret);
    expect((await store.listApis())[0]!.definition.policies.auth!.jwt!.keys[0]!.k).toBe(secret);
    expect((await store.readDesiredState()).apis[0]!.definition).toEqual(withHmacKey('orders', secret));
    expect(await checkSealedSecrets(d.database.db, ring)).toEqual({ apis: 1, revisions: 2, sealedByKeyId: { [ring.currentKid]: 3 } });
  });

  it('refuses to read sealed secrets without the key or with another one, naming the missing key id', async () => {
    const d = await database();
    const ring = new SecretKeyRing(randomBytes(32));
    await createApiStore(d.database.db, { secrets: ring }).putApi(withHmacKey('orders', randomBytes(32).toString('base64url')), { actor: 'test' });

    await expect(createApiStore(d.database.db).getApi('orders')).rejects.toMatchObject({ code: 'GW_SECRET_KEY_REQUIRED' });
    await expect(checkSealedSecrets(d.database.db, undefined)).rejects.toMatchObject({ code: 'GW_SECRET_KEY_REQUIRED', message: expect.stringContaining('SECRETS_KEY_FILE') });
    const wrong = new SecretKeyRing(randomBytes(32));
    await expect(createApiStore(d.database.db, { secrets: wrong }).readDesiredState()).rejects.toMatchObject({ code: 'GW_SECRET_KEY_UNKNOWN' });
    await expect(checkSealedSecrets(d.database.db, wrong)).rejects.toMatchObject({ code: 'GW_SECRET_KEY_UNKNOWN', message: expect.stringContaining(ring.currentKid) });
  });

  it('refuses a sealed value changed in the database (GW_SECRET_AUTH_FAILED)', async () => {
    const d = await database();
    const ring = new SecretKeyRing(randomBytes(32));
    await createApiStore(d.database.db, { secrets: ring }).putApi(withHmacKey('orders', randomBytes(32).toString('base64url')), { actor: 'test' });
    // Flip one character of the ciphertext of the current row (revisions are append-only).
    const { rows } = await sql<{ k: string }>`select definition#>>'{policies,auth,jwt,keys,0,k}' as k from apis`.execute(d.database.db);
    const parts = rows[0]!.k.split(':');
    parts[4] = (parts[4]![0] === 'A' ? 'B' : 'A') + parts[4]!.slice(1);
    await sql`update apis set definition = jsonb_set(definition, '{policies,auth,jwt,keys,0,k}', to_jsonb(${parts.join(':')}::text))`.execute(d.database.db);
    await expect(createApiStore(d.database.db, { secrets: ring }).getApi('orders')).rejects.toMatchObject({ code: 'GW_SECRET_AUTH_FAILED' });
    await expect(checkSealedSecrets(d.database.db, ring)).rejects.toMatchObject({ code: 'GW_SECRET_AUTH_FAILED' });
  });

  it('reseal moves every secret (plaintext or under an old key) to the new key, without a new config version', async () => {
    const d = await database();
    const secret = randomBytes(32).toString('base64url');
    const plainSecret = randomBytes(32).toString('base64url');
    // Written before any key: plaintext; then under the old key.
    await createApiStore(d.database.db).putApi(withHmacKey('legacy', plainSecret), { actor: 'test' });
    const oldKey = randomBytes(32);
    const oldRing = new SecretKeyRing(oldKey);
    await createApiStore(d.database.db, { secrets: oldRing }).putApi(withHmacKey('orders', secret), { actor: 'test' });
    await createApiStore(d.database.db, { secrets: oldRing }).putApi(plainApi('plain', '/plain', ['http://10.0.0.7:8080']), { actor: 'test' });
    await createApiStore(d.database.db, { secrets: oldRing }).deleteApi('plain', { actor: 'test' });
    expect(await rawRows(d)).toContain(plainSecret);
    const before = await createApiStore(d.database.db, { secrets: oldRing }).readDesiredState();

    const newKey = randomBytes(32);
    const newRing = new SecretKeyRing(newKey, [oldKey]);
    expect(await resealSecrets(d.database.db, newRing)).toEqual({ apis: 2, revisions: 2, secrets: 4, wasPlaintext: 2, keyId: newRing.currentKid });

    const raw = await rawRows(d);
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(plainSecret);
    expect(raw).not.toContain(oldRing.currentKid);
    expect(raw.match(new RegExp(`\\$sealed:v1:${newRing.currentKid}:`, 'g'))).toHaveLength(4);
    // The new key alone now opens everything; what the compiler reads did not change.
    const newStore = createApiStore(d.database.db, { secrets: new SecretKeyRing(newKey) });
    expect(await newStore.readDesiredState()).toEqual(before);
    expect((await listRevisions(d.database.db, 'orders')).map((r) => r.revision)).toEqual([1]);
    // History stays append-only for everyone else.
    await expect(sql`update api_revisions set actor = 'x'`.execute(d.database.db)).rejects.toThrow(/append-only/);
  });

  it('reseal under a ring that cannot open a value changes nothing', async () => {
    const d = await database();
    await createApiStore(d.database.db, { secrets: new SecretKeyRing(randomBytes(32)) }).putApi(withHmacKey('orders', randomBytes(32).toString('base64url')), { actor: 'test' });
    const before = await rawRows(d);
    await expect(resealSecrets(d.database.db, new SecretKeyRing(randomBytes(32)))).rejects.toMatchObject({ code: 'GW_SECRET_KEY_UNKNOWN' });
    expect(await rawRows(d)).toBe(before);
  });

  it('without a key, stores secrets as they are (plaintext)', async () => {
    const d = await database();
    const secret = randomBytes(32).toString('base64url');
    await createApiStore(d.database.db).putApi(withHmacKey('orders', secret), { actor: 'test' });
    expect(await rawRows(d)).toContain(secret);
    expect(await checkSealedSecrets(d.database.db, undefined)).toEqual({ apis: 0, revisions: 0, sealedByKeyId: {} });
  });
});
