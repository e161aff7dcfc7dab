import fs from 'node:fs';
import path from 'node:path';
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { recordingLogger } from '@gw/logging/testing';
import { tempDirs } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_FILE_NAME } from './cache-file.js';
import { ConfigCache } from './config-cache.js';
import { saveSnapshot } from './save-snapshot.js';

const dirs = tempDirs('gw-cache-perms-');
afterEach(() => dirs.removeAll());
const snapshot = (version: number) => snapshotOf([plainApi('orders', '/orders', ['http://127.0.0.1:8080'])], version);
const modeOf = (p: string) => fs.statSync(p).mode & 0o7777;

describe('config cache permissions (only the runtime user reads the cached config)', () => {
  it('creates the directory 0700 and the file 0600 whatever the umask allows', async () => {
    const dir = path.join(dirs.make(), 'cache');
    const saved = await saveSnapshot(dir, snapshot(1), { controllerId: 'ctl' });
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(saved.path)).toBe(0o600);
  });

  it('tightens a looser directory and file at boot, and says so', async () => {
    const dir = dirs.make();
    await saveSnapshot(dir, snapshot(1), { controllerId: 'ctl' });
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, CACHE_FILE_NAME), 0o644);
    const logger = recordingLogger();
    const cache = new ConfigCache({ dir, logger });
    expect((await cache.load()).status).toBe('ok');
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(path.join(dir, CACHE_FILE_NAME))).toBe(0o600);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.fields['was'])).toEqual(['0755', '0644']);
  });

  it('tightens a looser existing directory on save', async () => {
    const dir = dirs.make();
    fs.chmodSync(dir, 0o777);
    const saved = await saveSnapshot(dir, snapshot(2), { controllerId: 'ctl' });
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(saved.path)).toBe(0o600);
  });

  it('leaves a shared (sticky) directory alone and warns once', async () => {
    const dir = dirs.make();
    fs.chmodSync(dir, 0o1777);
    const logger = recordingLogger();
    await saveSnapshot(dir, snapshot(1), { controllerId: 'ctl' }, { logger });
    await saveSnapshot(dir, snapshot(2), { controllerId: 'ctl' }, { logger });
    expect(modeOf(dir)).toBe(0o1777);
    expect(modeOf(path.join(dir, CACHE_FILE_NAME))).toBe(0o600);
    expect(logger.records.filter((r) => r.level === 'warn')).toEqual([expect.objectContaining({ msg: expect.stringContaining('shared directory') })]);
  });
});
