import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigSnapshot } from '@gw/config-contract';
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '@gw/test-kit';
import { CACHE_FILE_NAME } from './cache-file.js';
import { loadSnapshot } from './load-snapshot.js';
import { saveSnapshot } from './save-snapshot.js';

function snapshot(version: number, apis = 1): ConfigSnapshot {
  return snapshotOf(
    Array.from({ length: apis }, (_, i) => plainApi(`api-${String(i).padStart(4, '0')}`, `/api-${i}`, [`http://127.0.0.1:${8000 + version}`])),
    version,
  );
}

const dirs = tempDirs('gw-config-cache-');
afterEach(() => dirs.removeAll());

describe('saveSnapshot / loadSnapshot on real files', () => {
  it('saves and loads a snapshot with its metadata, creating the directory, leaving no temp file', async () => {
    const dir = path.join(dirs.make(), 'nested', 'cache');
    const savedAt = new Date('2025-05-06T07:08:09.000Z');
    const saved = await saveSnapshot(dir, snapshot(3), { controllerId: 'ctl-2', savedAt });
    expect(saved).toMatchObject({ path: path.join(dir, CACHE_FILE_NAME), savedAt, checksum: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(fs.readdirSync(dir)).toEqual([CACHE_FILE_NAME]);
    expect(fs.statSync(saved.path).size).toBe(saved.bytes);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(saved.path).mode & 0o777).toBe(0o600);
    const loaded = await loadSnapshot(dir);
    expect(loaded).toEqual({
      status: 'ok',
      path: saved.path,
      snapshot: snapshot(3),
      savedAt,
      controllerId: 'ctl-2',
      bytes: saved.bytes,
      checksum: saved.checksum,
      log: { records: 0, bytes: 0, tornBytes: 0, stale: false },
      disk: { baseChecksum: saved.checksum, baseBytes: saved.bytes, logBytes: 0, records: 0, snapshot: snapshot(3), compactNext: false },
    });
  });

  it('reports a missing directory or file as missing', async () => {
    expect(await loadSnapshot(path.join(dirs.make(), 'does-not-exist'))).toMatchObject({ status: 'missing' });
    expect(await loadSnapshot(dirs.make())).toMatchObject({ status: 'missing' });
  });

  it('reports an unreadable cache (a directory where the file should be, a file as the directory, over the size limit) without throwing', async () => {
    const dir = dirs.make();
    fs.mkdirSync(path.join(dir, CACHE_FILE_NAME));
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_UNREADABLE', reason: expect.stringContaining('EISDIR') });
    const notADir = path.join(dirs.make(), 'plain-file');
    fs.writeFileSync(notADir, 'x');
    expect(await loadSnapshot(notADir)).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_UNREADABLE', reason: expect.stringContaining('ENOTDIR') });
    const big = dirs.make();
    await saveSnapshot(big, snapshot(1), { controllerId: 'c' });
    expect(await loadSnapshot(big, { maxBytes: 100 })).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_UNREADABLE', reason: expect.stringContaining('limit') });
  });

  it('refuses the file truncated at several byte offsets', async () => {
    const dir = dirs.make();
    const { path: file, bytes } = await saveSnapshot(dir, snapshot(5, 20), { controllerId: 'ctl-1' });
    const whole = fs.readFileSync(file);
    for (const len of [0, 1, 17, 64, 100, Math.floor(bytes / 2), bytes - 200, bytes - 3, bytes - 2]) {
      fs.writeFileSync(file, whole.subarray(0, len));
      const loaded = await loadSnapshot(dir);
      expect(loaded, `truncated to ${len} of ${bytes} bytes`).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_CORRUPT', reason: expect.any(String) });
    }
    fs.writeFileSync(file, whole);
    expect((await loadSnapshot(dir)).status).toBe('ok');
  });

  it('refuses bit flips in the payload', async () => {
    const dir = dirs.make();
    const { path: file } = await saveSnapshot(dir, snapshot(5, 20), { controllerId: 'ctl-1' });
    const whole = fs.readFileSync(file);
    const start = whole.indexOf('"payload":') + 10;
    for (const at of [start, start + 1, start + 37, Math.floor((start + whole.length) / 2), whole.length - 3]) {
      for (const bit of [0, 3, 7]) {
        const damaged = Buffer.from(whole);
        damaged[at]! ^= 1 << bit;
        fs.writeFileSync(file, damaged);
        expect((await loadSnapshot(dir)).status, `byte ${at} bit ${bit}`).toBe('corrupt');
      }
    }
  });

  it('ignores leftover temp files and removes stale ones on the next save', async () => {
    const dir = dirs.make();
    await saveSnapshot(dir, snapshot(1), { controllerId: 'c' });
    const stale = path.join(dir, `${CACHE_FILE_NAME}.999999-deadbeef.tmp`);
    const young = path.join(dir, `${CACHE_FILE_NAME}.999998-cafebabe.tmp`);
    fs.writeFileSync(stale, '{"format":"gw.runtime-config-cache.v1","checks'); // a crash mid-write
    fs.writeFileSync(young, 'garbage');
    const old = new Date(Date.now() - 3_600_000);
    fs.utimesSync(stale, old, old);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: { version: 1 } });
    await saveSnapshot(dir, snapshot(2), { controllerId: 'c' });
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(young)).toBe(true); // may belong to a save in flight elsewhere
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: { version: 2 } });
  });

  it('fails a save with GW_CONFIG_CACHE_WRITE_FAILED, cleans its temp file and keeps the previous file', async () => {
    const dir = dirs.make();
    const blocked = path.join(dir, 'blocked');
    fs.mkdirSync(path.join(blocked, CACHE_FILE_NAME), { recursive: true }); // rename cannot replace a directory
    await expect(saveSnapshot(blocked, snapshot(1), { controllerId: 'c' })).rejects.toMatchObject({ name: 'GatewayError', code: 'GW_CONFIG_CACHE_WRITE_FAILED', message: expect.stringContaining('rename') });
    expect(fs.readdirSync(blocked)).toEqual([CACHE_FILE_NAME]);

    await saveSnapshot(dir, snapshot(1), { controllerId: 'c' });
    const notADir = path.join(dir, 'file');
    fs.writeFileSync(notADir, 'x');
    await expect(saveSnapshot(path.join(notADir, 'sub'), snapshot(2), { controllerId: 'c' })).rejects.toMatchObject({ code: 'GW_CONFIG_CACHE_WRITE_FAILED' });
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: { version: 1 } });
  });

  it('concurrent saves in one process land in call order and leave a valid file', async () => {
    const dir = dirs.make();
    const saves = Array.from({ length: 25 }, (_, i) => saveSnapshot(dir, snapshot(i + 1, 1 + (i % 7)), { controllerId: `ctl-${i}` }));
    await Promise.all(saves);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: snapshot(25, 1 + (24 % 7)), controllerId: 'ctl-24' });
    expect(fs.readdirSync(dir)).toEqual([CACHE_FILE_NAME]);
  });

  it('a reader never sees a partial file while two other processes save concurrently', async () => {
    const dir = dirs.make();
    await saveSnapshot(dir, snapshot(1), { controllerId: 'seed' });
    // Each writer saves 40 snapshots of varying size (up to 200 APIs) as fast as it can.
    const writer = (id: string) => `
      import { saveSnapshot } from '@gw/last-known-good';
      import { plainApi } from '@gw/api-schema/testing';
      import { snapshotOf } from '@gw/config-contract/testing';
      for (let v = 2; v <= 41; v++) {
        const n = 1 + ((v * 37) % 200);
        const apis = Array.from({ length: n }, (_, i) => plainApi('api-' + i, '/api-' + i, ['http://127.0.0.1:' + (1000 + v)]));
        await saveSnapshot(${JSON.stringify(dir)}, snapshotOf(apis, v), { controllerId: '${id}' });
      }`;
    const repoRoot = path.resolve(import.meta.dirname, '../../../..');
    const children = ['w1', 'w2'].map((id) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer(id)], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
    });
    let done = false;
    const finished = Promise.all(children).finally(() => (done = true));
    let reads = 0;
    const deadline = Date.now() + 20_000;
    try {
      while (!done && Date.now() < deadline) {
        const loaded = await loadSnapshot(dir);
        expect(loaded.status, loaded.status === 'corrupt' ? loaded.reason : '').toBe('ok');
        reads++;
      }
    } finally {
      // Even when a read failed: the writers must be gone before the directory is removed.
      for (const r of await finished) expect(r.code, r.stderr).toBe(0);
    }
    expect(reads).toBeGreaterThan(0);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: { version: 41 } });
  });
});
