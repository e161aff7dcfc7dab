import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { compileSnapshot } from '@gw/compiler';
import { recordingLogger } from '@gw/logging/testing';
import { createApiStore } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import { tempDirs } from '@gw/test-kit';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { describeReseal, reseal } from './reseal.js';
import { loadSecretKeyRing } from './secret-keys.js';

const dirs = tempDirs('gw-reseal-');
const databases: MigratedTempDatabase[] = [];
afterEach(async () => {
  dirs.removeAll();
  for (const d of databases.splice(0)) await d.dispose();
});

function keyFile(key: Buffer): string {
  const file = path.join(dirs.make(), 'key');
  writeFileSync(file, key, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

const SECRET = 'c2VhbGVkLWF0LXJlc3QtaG1hYy1zZWNyZXQtZm9yLXRlc3Rz';
function withHmacKey(name: string): ApiDefinition {
  const result = validateApiDefinition({ ...plainApi(name, `/${name}`, ['http://10.0.0.7:8080']), policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: SECRET }] } } } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

describe('sealing and the compiler (PostgreSQL)', () => {
  it('compiles the same snapshot hash with and without a key', async () => {
    const hashes: string[] = [];
    for (const key of [undefined, randomBytes(32)]) {
      const d = await createMigratedTempDatabase();
      databases.push(d);
      const secrets = key === undefined ? undefined : await loadSecretKeyRing({ current: keyFile(key), previous: [] }, recordingLogger());
      const store = createApiStore(d.database.db, { secrets });
      await store.putApi(withHmacKey('orders'), { actor: 'test' });
      const raw = await sql<{ t: string }>`select definition::text as t from apis`.execute(d.database.db);
      expect(raw.rows[0]!.t.includes(SECRET)).toBe(key === undefined);
      hashes.push(compileSnapshot(await store.readDesiredState()).snapshot.hash);
    }
    expect(hashes[1]).toBe(hashes[0]);
  });

  it('reseal seals a plaintext database under the key, then rotates it to a new one', async () => {
    const d = await createMigratedTempDatabase();
    databases.push(d);
    await createApiStore(d.database.db).putApi(withHmacKey('orders'), { actor: 'test' });
    const first = keyFile(randomBytes(32));
    const config = { databaseUrl: d.temp.url, dbConnectTimeoutMs: 2_000, logLevel: 'info' as const };
    const sealed = await reseal({ ...config, secretKeys: { current: first, previous: [] } }, recordingLogger());
    expect(describeReseal(sealed)).toMatch(/^resealed 2 secrets \(2 were plaintext\) in 1 APIs and 1 revisions under key id [0-9a-f]{16}; config version unchanged$/);

    const second = keyFile(randomBytes(32));
    await expect(reseal({ ...config, secretKeys: { current: second, previous: [] } }, recordingLogger())).rejects.toMatchObject({
      code: 'GW_SECRET_KEY_UNKNOWN',
      message: expect.stringContaining(sealed.keyId),
    });
    const rotated = await reseal({ ...config, secretKeys: { current: second, previous: [first] } }, recordingLogger());
    expect(rotated).toMatchObject({ secrets: 2, wasPlaintext: 0 });
    expect(rotated.keyId).not.toBe(sealed.keyId);
    const raw = await sql<{ t: string }>`select string_agg(definition::text, ' ') as t from api_revisions`.execute(d.database.db);
    expect(raw.rows[0]!.t).toContain(rotated.keyId);
    expect(raw.rows[0]!.t).not.toContain(SECRET);
  });
});
