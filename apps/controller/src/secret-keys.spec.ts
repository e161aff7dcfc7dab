import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { recordingLogger } from '@gw/logging/testing';
import { secretKeyId } from '@gw/secret-seal';
import { tempDirs } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { readControllerConfig, readResealConfig } from './env.js';
import { loadSecretKeyRing, readableByOthers } from './secret-keys.js';

const dirs = tempDirs('gw-secret-keys-');
afterEach(() => dirs.removeAll());

function keyFile(contents: Buffer | string, mode = 0o600): string {
  const file = path.join(dirs.make(), 'key');
  writeFileSync(file, contents, { mode });
  chmodSync(file, mode);
  return file;
}

describe('loadSecretKeyRing', () => {
  it('without SECRETS_KEY_FILE: no ring, and one warning that secrets are stored in plaintext', async () => {
    const logger = recordingLogger();
    expect(await loadSecretKeyRing({ current: undefined, previous: [] }, logger)).toBeUndefined();
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([expect.objectContaining({ msg: expect.stringContaining('plaintext') })]);
  });

  it('reads the current key and previous ones (hex from openssl, raw bytes), without warnings for 0600 files', async () => {
    const current = randomBytes(32);
    const previous = randomBytes(32);
    const logger = recordingLogger();
    const ring = await loadSecretKeyRing({ current: keyFile(`${current.toString('hex')}\n`), previous: [keyFile(previous)] }, logger);
    expect(ring!.kids).toEqual([secretKeyId(current), secretKeyId(previous)]);
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([]);
    expect(logger.lines().join('\n')).not.toContain(current.toString('hex'));
  });

  it('warns about a key file group or others can read', async () => {
    const logger = recordingLogger();
    await loadSecretKeyRing({ current: keyFile(randomBytes(32), 0o644), previous: [] }, logger);
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([expect.objectContaining({ msg: expect.stringContaining('chmod 600'), fields: expect.objectContaining({ mode: '0644' }) })]);
  });

  it('a group bit counts only for another group than the process\'s own (a Kubernetes Secret mounted 0440 with fsGroup)', () => {
    expect(readableByOthers(0o600, 5, 1000)).toBe(false);
    expect(readableByOthers(0o440, 1000, 1000)).toBe(false);
    expect(readableByOthers(0o440, 5, 1000)).toBe(true);
    expect(readableByOthers(0o404, 1000, 1000)).toBe(true);
    expect(readableByOthers(0o640, 1000, undefined)).toBe(true);
  });

  it('refuses a missing file or one that is not a key, naming the variable and file', async () => {
    const missing = path.join(dirs.make(), 'nope');
    await expect(loadSecretKeyRing({ current: missing, previous: [] }, recordingLogger())).rejects.toMatchObject({ code: 'GW_SECRET_KEY_INVALID', message: expect.stringContaining(`SECRETS_KEY_FILE (${missing}) cannot be read`) });
    const short = keyFile('abc\n');
    await expect(loadSecretKeyRing({ current: keyFile(randomBytes(32)), previous: [short] }, recordingLogger())).rejects.toMatchObject({
      code: 'GW_SECRET_KEY_INVALID',
      message: expect.stringContaining(`SECRETS_PREVIOUS_KEY_FILES (${short})`),
    });
  });
});

describe('secret key variables', () => {
  // Authentication and TLS settled, so each case sees only the key problems it is about.
  const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db', ADMIN_TOKEN: 'bootstrap', CONFIG_INSECURE: 'true' };
  it('reads SECRETS_KEY_FILE and a comma-separated SECRETS_PREVIOUS_KEY_FILES', () => {
    expect(readControllerConfig({ ...base, SECRETS_KEY_FILE: '/k/new', SECRETS_PREVIOUS_KEY_FILES: '/k/a, /k/b,' }).secretKeys).toEqual({ current: '/k/new', previous: ['/k/a', '/k/b'] });
    expect(readControllerConfig(base).secretKeys).toEqual({ current: undefined, previous: [] });
  });

  it('refuses previous keys without a current one, and reseal without a key', () => {
    expect(() => readControllerConfig({ ...base, SECRETS_PREVIOUS_KEY_FILES: '/k/a' })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV', message: expect.stringContaining('SECRETS_PREVIOUS_KEY_FILES needs SECRETS_KEY_FILE') }));
    expect(() => readResealConfig(base)).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV', message: expect.stringContaining('SECRETS_KEY_FILE is required by reseal') }));
  });
});
