import fs from 'node:fs';
import path from 'node:path';
import type { ConfigSnapshot } from '@gw/config-contract';
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs, waitFor } from '@gw/test-kit';
import { recordingLogger } from '@gw/logging/testing';
import { CACHE_FILE_NAME } from './cache-file.js';
import { ConfigCache } from './config-cache.js';
import { loadSnapshot } from './load-snapshot.js';
import { writeSnapshot } from './save-snapshot.js';

function snapshot(version: number, port = 8080, epoch = 1): ConfigSnapshot {
  return snapshotOf([plainApi('orders', '/orders', [`http://127.0.0.1:${port}`])], version, epoch);
}

const dirs = tempDirs('gw-config-cache-');
afterEach(() => dirs.removeAll());

describe('ConfigCache', () => {
  it('reports a missing file, then writes the first snapshot', async () => {
    const dir = dirs.make();
    const cache = new ConfigCache({ dir });
    expect(cache.report()).toMatchObject({ dir, file: path.join(dir, CACHE_FILE_NAME), status: 'unknown', boot: { status: 'not-loaded' } });
    expect(await cache.load()).toMatchObject({ status: 'missing' });
    expect(cache.report()).toMatchObject({ status: 'missing', version: null, boot: { status: 'missing', reason: null } });
    expect(await cache.save(snapshot(1), { controllerId: 'ctl-1' })).toBe('saved');
    expect(cache.report()).toMatchObject({ status: 'ok', version: 1, epoch: 1, hash: snapshot(1).hash, controllerId: 'ctl-1', savedAt: expect.any(String), writes: 1 });
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: snapshot(1) });
  });

  it('tells onBaseWritten of each new base file (the first write, a compaction) and of no log record', async () => {
    const dir = dirs.make();
    let bases = 0;
    const cache = new ConfigCache({ dir, maxLogRecords: 1, onBaseWritten: () => void bases++ });
    // Twenty APIs, one of them changed per version: a change's log record is far smaller than the base.
    const many = (version: number, port: number) => snapshotOf(Array.from({ length: 20 }, (_, i) => plainApi(`api-${i}`, `/api-${i}`, [`http://127.0.0.1:${i === 0 ? port : 8080}`])), version);
    await cache.save(many(1, 8080), { controllerId: 'ctl-1' });
    expect(bases).toBe(1);
    await cache.save(many(2, 9090), { controllerId: 'ctl-1' }); // a log record
    expect([bases, cache.report().compactions]).toEqual([1, 1]);
    await cache.save(many(3, 9091), { controllerId: 'ctl-1' }); // past maxLogRecords: compacted into a base
    expect([bases, cache.report().compactions]).toEqual([2, 2]);
  });

  it('skips the write when the file already holds the version, epoch and hash; writes on any change', async () => {
    const dir = dirs.make();
    const first = new ConfigCache({ dir });
    await first.save(snapshot(4), { controllerId: 'ctl-1' });
    const cache = new ConfigCache({ dir });
    expect(await cache.load()).toMatchObject({ status: 'ok', snapshot: snapshot(4), controllerId: 'ctl-1' });
    expect(cache.report()).toMatchObject({ status: 'ok', version: 4, boot: { status: 'loaded', savedAt: expect.any(String) } });
    const mtime = fs.statSync(path.join(dir, CACHE_FILE_NAME)).mtimeMs;
    expect(await cache.save(snapshot(4), { controllerId: 'ctl-2' })).toBe('unchanged');
    expect(cache.report().writes).toBe(0);
    expect(fs.statSync(path.join(dir, CACHE_FILE_NAME)).mtimeMs).toBe(mtime);
    expect(await cache.save(snapshot(5), { controllerId: 'ctl-2' })).toBe('saved'); // same content, new version
    expect(await cache.save(snapshot(5, 9090), { controllerId: 'ctl-2' })).toBe('saved'); // other content
    expect(await cache.save(snapshot(5, 9090, 2), { controllerId: 'ctl-2' })).toBe('saved'); // other epoch
    expect(cache.report()).toMatchObject({ version: 5, epoch: 2, writes: 3 });
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: snapshot(5, 9090, 2), controllerId: 'ctl-2' });
  });

  it('logs and reports a corrupt file, keeps the boot report after a rewrite', async () => {
    const dir = dirs.make();
    fs.writeFileSync(path.join(dir, CACHE_FILE_NAME), '{"format":"gw.runtime-config-cache.v1","checksum":"sha2');
    const logger = recordingLogger();
    const cache = new ConfigCache({ dir, logger });
    expect(await cache.load()).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_CORRUPT' });
    expect(cache.report()).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_CORRUPT', reason: expect.stringContaining('truncated'), version: null, boot: { status: 'corrupt', reason: expect.stringContaining('truncated') } });
    expect(logger.records.find((l) => l.level === 'error')?.fields).toMatchObject({ reason: expect.stringContaining('truncated') });
    expect(await cache.save(snapshot(2), { controllerId: 'ctl-1' })).toBe('saved');
    expect(cache.report()).toMatchObject({ status: 'ok', reason: null, version: 2, boot: { status: 'corrupt' } });
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: snapshot(2) });
  });

  it('records a refused snapshot at boot', async () => {
    const dir = dirs.make();
    await new ConfigCache({ dir }).save(snapshot(1), { controllerId: 'c' });
    const cache = new ConfigCache({ dir, logger: recordingLogger() });
    await cache.load();
    cache.refused('holds 1 APIs; this runtime accepts at most 0');
    expect(cache.report()).toMatchObject({ status: 'ok', boot: { status: 'refused', reason: 'holds 1 APIs; this runtime accepts at most 0', savedAt: expect.any(String) } });
  });

  it('reports a failed write without throwing, and retries the same snapshot on the next call', async () => {
    const dir = dirs.make();
    fs.mkdirSync(path.join(dir, CACHE_FILE_NAME)); // rename over a directory fails
    const logger = recordingLogger();
    const cache = new ConfigCache({ dir, logger });
    expect(await cache.load()).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_UNREADABLE' });
    expect(await cache.save(snapshot(3), { controllerId: 'ctl-1' })).toBe('failed');
    expect(cache.report()).toMatchObject({ status: 'write-failed', code: 'GW_CONFIG_CACHE_WRITE_FAILED', reason: expect.stringContaining('rename'), version: null, writeFailures: 1 });
    expect(logger.records.some((l) => l.level === 'error' && l.msg.includes('write failed'))).toBe(true);
    fs.rmdirSync(path.join(dir, CACHE_FILE_NAME));
    expect(await cache.save(snapshot(3), { controllerId: 'ctl-1' })).toBe('saved');
    expect(cache.report()).toMatchObject({ status: 'ok', reason: null, code: null, version: 3, writes: 1, writeFailures: 1 });
  });

  it('does not hold the caller longer than writeWaitMs on a stuck disk; the write finishes in the background', async () => {
    const dir = dirs.make();
    const gates: (() => void)[] = [];
    // A disk that stalls each write until the test opens its gate, then really writes.
    const write: typeof writeSnapshot = (d, s, m, o) => new Promise<void>((resolve) => gates.push(resolve)).then(() => writeSnapshot(d, s, m, o));
    const cache = new ConfigCache({ dir, writeWaitMs: 30, write, logger: recordingLogger() });
    expect(await cache.save(snapshot(1), { controllerId: 'ctl-1' })).toBe('pending');
    expect(cache.report()).toMatchObject({ status: 'write-pending', code: 'GW_CONFIG_CACHE_WRITE_FAILED', reason: expect.stringContaining('still running'), version: null });
    gates.shift()!();
    await waitFor('the cache reported ok', () => cache.report().status === 'ok');
    expect(cache.report()).toMatchObject({ status: 'ok', reason: null, version: 1, writes: 1 });
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: snapshot(1) });

    // A write that finishes within the wait is an ordinary 'saved'.
    const patient = new ConfigCache({ dir, writeWaitMs: 60_000, write });
    const quick = patient.save(snapshot(2), { controllerId: 'ctl-1' });
    await waitFor('the write to start', () => gates.length === 1);
    gates.shift()!();
    expect(await quick).toBe('saved');
  });
});
