// The append log on real files: each save after the first writes only what changed, the
// loader replays it on top of the base and verifies the result, compaction rewrites the
// base, and a damaged log is refused (a torn last record is ignored).
import fs from 'node:fs';
import path from 'node:path';
import type { ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { apiResource, buildSnapshot, contentHash, type ConfigSnapshot } from '@gw/config-contract';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '@gw/test-kit';
import { recordingLogger } from '@gw/logging/testing';
import { CACHE_FILE_NAME } from './cache-file.js';
import { CACHE_LOG_NAME, snapshotChanges } from './cache-log.js';
import { ConfigCache } from './config-cache.js';
import { loadSnapshot } from './load-snapshot.js';
import { writeSnapshot } from './save-snapshot.js';

const dirs = tempDirs('gw-config-log-');
afterEach(() => dirs.removeAll());

const api = (i: number, port = 8080): ApiDefinition => plainApi(`api-${String(i).padStart(3, '0')}`, `/api-${i}`, [`http://127.0.0.1:${port}`]);

/** 50 APIs at version 1; `change(s, v, i, port)` gives API i a new target. */
function base(n = 50): ConfigSnapshot {
  return buildSnapshot(1, 1, Array.from({ length: n }, (_, i) => apiResource(api(i), 1)));
}
function change(s: ConfigSnapshot, version: number, i: number, port: number): ConfigSnapshot {
  const name = api(i).name;
  return buildSnapshot(version, s.epoch, [...s.resources.filter((r) => r.name !== name), apiResource(api(i, port), version)]);
}
function without(s: ConfigSnapshot, version: number, i: number): ConfigSnapshot {
  return buildSnapshot(version, s.epoch, s.resources.filter((r) => r.name !== api(i).name));
}

const logFile = (dir: string) => path.join(dir, CACHE_LOG_NAME);
const lines = (dir: string) => fs.readFileSync(logFile(dir), 'utf8').split('\n').filter((l) => l !== '');

/** A cache dir holding the base (v1) and three log records (v2: change, v3: removal, v4: change). */
async function withLog(): Promise<{ dir: string; states: ConfigSnapshot[] }> {
  const dir = dirs.make();
  const cache = new ConfigCache({ dir });
  const states = [base()];
  states.push(change(states[0]!, 2, 7, 9001));
  states.push(without(states[1]!, 3, 8));
  states.push(change(states[2]!, 4, 9, 9002));
  for (const s of states) expect(await cache.save(s, { controllerId: `ctl-${s.version}` })).toBe('saved');
  return { dir, states };
}

describe('the append log', () => {
  it('writes only what changed after the first save, and loads base + replay as the final state', async () => {
    const { dir, states } = await withLog();
    const [first, , , last] = states;
    expect(fs.readdirSync(dir).sort()).toEqual([CACHE_FILE_NAME, CACHE_LOG_NAME]);
    const records = lines(dir).map((l) => JSON.parse(l.slice(65)));
    expect(records.map((r) => [r.seq, r.version, r.put.map((p: { name: string }) => p.name), r.remove])).toEqual([
      [1, 2, ['api-007'], []],
      [2, 3, [], [{ type: 'api', name: 'api-008' }]],
      [3, 4, ['api-009'], []],
    ]);
    // A record is a few hundred bytes; the base holds all 50 APIs.
    expect(fs.statSync(logFile(dir)).size).toBeLessThan(fs.statSync(path.join(dir, CACHE_FILE_NAME)).size / 5);
    const loaded = await loadSnapshot(dir);
    expect(loaded).toMatchObject({ status: 'ok', controllerId: 'ctl-4', log: { records: 3, tornBytes: 0, stale: false } });
    if (loaded.status !== 'ok') return;
    expect(loaded.snapshot).toEqual(last);
    expect(loaded.snapshot).not.toEqual(first);
    // The file and log are private like the base.
    expect(fs.statSync(logFile(dir)).mode & 0o777).toBe(0o600);
  });

  it('continues the log after a restart from what it loaded', async () => {
    const { dir, states } = await withLog();
    const cache = new ConfigCache({ dir });
    await cache.load();
    expect(cache.report()).toMatchObject({ status: 'ok', version: 4, log: { records: 3 } });
    const next = change(states[3]!, 5, 1, 9003);
    expect(await cache.save(next, { controllerId: 'ctl-5' })).toBe('saved');
    expect(cache.report()).toMatchObject({ version: 5, log: { records: 4 }, compactions: 0, writes: 1 });
    expect(lines(dir)).toHaveLength(4);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: next, log: { records: 4 } });
  });

  it('appends saves made back to back in call order, each record on the state the previous one left', async () => {
    const dir = dirs.make();
    const cache = new ConfigCache({ dir });
    const states = [base()];
    for (let v = 2; v <= 6; v++) states.push(change(states[v - 2]!, v, v, 9000 + v));
    expect(await Promise.all(states.map((s) => cache.save(s, { controllerId: `ctl-${s.version}` })))).toEqual(states.map(() => 'saved'));
    expect(cache.report()).toMatchObject({ version: 6, compactions: 1, log: { records: 5 } });
    expect(lines(dir).map((l) => JSON.parse(l.slice(65)).version)).toEqual([2, 3, 4, 5, 6]);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: states[5], controllerId: 'ctl-6' });
  });

  it('compacts into a new base when the log would outgrow the base or hold too many records, and on a new epoch', async () => {
    const dir = dirs.make();
    const cache = new ConfigCache({ dir, maxLogRecords: 2 });
    let s = base(5);
    await cache.save(s, { controllerId: 'c' });
    for (let v = 2; v <= 4; v++) {
      s = change(s, v, v, 9000 + v);
      await cache.save(s, { controllerId: 'c' });
    }
    // Records 1 and 2 were appended; the third would exceed maxLogRecords: a new base, no log.
    expect(cache.report()).toMatchObject({ version: 4, compactions: 2, log: { records: 0, bytes: 0 } });
    expect(fs.readdirSync(dir)).toEqual([CACHE_FILE_NAME]);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: s, log: { records: 0 } });

    // A change larger than the base itself (every API of a 1-API base replaced by 20): straight to a base.
    const small = dirs.make();
    const c2 = new ConfigCache({ dir: small });
    await c2.save(base(1), { controllerId: 'c' });
    await c2.save(buildSnapshot(2, 1, Array.from({ length: 20 }, (_, i) => apiResource(api(i, 9100), 2))), { controllerId: 'c' });
    expect(c2.report()).toMatchObject({ compactions: 2, log: { records: 0 } });
    expect(fs.readdirSync(small)).toEqual([CACHE_FILE_NAME]);

    // A new epoch (a deliberate restore) is a base too.
    const epochs = dirs.make();
    const c3 = new ConfigCache({ dir: epochs });
    await c3.save(base(), { controllerId: 'c' });
    const restored = buildSnapshot(1, 2, base().resources);
    await c3.save(restored, { controllerId: 'c' });
    expect(c3.report()).toMatchObject({ epoch: 2, compactions: 2 });
    expect(await loadSnapshot(epochs)).toMatchObject({ status: 'ok', snapshot: { epoch: 2 } });
  });

  it('ignores a torn last record (a crash mid-append): the state before it, then the next write compacts', async () => {
    const { dir, states } = await withLog();
    const whole = fs.readFileSync(logFile(dir));
    for (const cut of [1, 40, 200]) {
      fs.writeFileSync(logFile(dir), whole.subarray(0, whole.length - cut));
      const loaded = await loadSnapshot(dir);
      expect(loaded, `cut ${cut}`).toMatchObject({ status: 'ok', snapshot: states[2], controllerId: 'ctl-3', log: { records: 2, tornBytes: expect.any(Number) } });
    }
    const logger = recordingLogger();
    const cache = new ConfigCache({ dir, logger });
    await cache.load();
    expect(logger.records.some((r) => r.level === 'warn' && r.msg.includes('torn'))).toBe(true);
    const next = change(states[2]!, 5, 2, 9005);
    await cache.save(next, { controllerId: 'ctl-5' });
    expect(cache.report()).toMatchObject({ compactions: 1, log: { records: 0 } });
    expect(fs.readdirSync(dir)).toEqual([CACHE_FILE_NAME]);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: next });
  });

  it('refuses a log with a flipped bit in any complete record, including the last', async () => {
    const { dir } = await withLog();
    const whole = fs.readFileSync(logFile(dir));
    for (const at of [0, 10, 64, 65, 100, Math.floor(whole.length / 2), whole.length - 2]) {
      const damaged = Buffer.from(whole);
      damaged[at] = damaged[at]! ^ 0x01;
      fs.writeFileSync(logFile(dir), damaged);
      const loaded = await loadSnapshot(dir);
      expect(loaded, `byte ${at}`).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_CORRUPT', reason: expect.stringContaining(CACHE_LOG_NAME) });
    }
    fs.writeFileSync(logFile(dir), whole);
    expect((await loadSnapshot(dir)).status).toBe('ok');
  });

  /** Appends a record with a valid checksum over a body the test chooses. */
  function appendRaw(dir: string, body: unknown): void {
    const text = JSON.stringify(body);
    fs.appendFileSync(logFile(dir), `${contentHash(text)} ${text}\n`);
  }

  it('refuses a sound record that does not add up: state hash mismatch, bad content hash, unknown removal, out of sequence', async () => {
    const { dir, states } = await withLog();
    const whole = fs.readFileSync(logFile(dir));
    const lastRecord = JSON.parse(lines(dir)[2]!.slice(65));
    const next = change(states[3]!, 5, 3, 9009);
    const put = next.resources.find((r) => r.name === 'api-003')!;
    const good = { ...lastRecord, seq: 4, version: 5, hash: next.hash, put: [put], remove: [] };
    const cases: [string, unknown, RegExp][] = [
      ['a state hash that is not what replay gives', { ...good, hash: states[0]!.hash }, /replayed state hashes to/],
      ['content that does not hash to its hash', { ...good, put: [{ ...put, content: put.content.replace('9009', '9010') }] }, /api-003" hashes to/],
      ['a removal of an API the state does not hold', { ...good, put: [], remove: [{ type: 'api', name: 'api-008' }] }, /does not hold/],
      ['a gap in the sequence', { ...good, seq: 6 }, /sequence number 6/],
      ['another base after the first record', { ...good, base: `sha256:${'0'.repeat(64)}` }, /extends base/],
      ['a body that is not a record', { ...good, put: 'x' }, /put and remove must be lists/],
    ];
    for (const [what, body, reason] of cases) {
      fs.writeFileSync(logFile(dir), whole);
      appendRaw(dir, body);
      expect(await loadSnapshot(dir), what).toMatchObject({ status: 'corrupt', code: 'GW_CONFIG_CACHE_CORRUPT', reason: expect.stringMatching(reason) });
    }
    // The good one replays.
    fs.writeFileSync(logFile(dir), whole);
    appendRaw(dir, good);
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: next, log: { records: 4 } });
  });

  it('ignores a log left by a compaction that crashed before removing it (its first record names the old base)', async () => {
    const { dir, states } = await withLog();
    const stale = fs.readFileSync(logFile(dir));
    // A new base is written (compaction) and the old log comes back, as after a crash between rename and unlink.
    const compacted = change(states[3]!, 5, 4, 9010);
    await writeSnapshot(dir, compacted, { controllerId: 'ctl-5' });
    expect(fs.existsSync(logFile(dir))).toBe(false);
    fs.writeFileSync(logFile(dir), stale);
    const loaded = await loadSnapshot(dir);
    expect(loaded).toMatchObject({ status: 'ok', snapshot: compacted, log: { records: 0, stale: true }, disk: { compactNext: true } });
  });

  it('treats the disk as unknown after a failed append, so the next write is a base', async () => {
    const { dir, states } = await withLog();
    const cache = new ConfigCache({ dir, logger: recordingLogger() });
    await cache.load();
    fs.rmSync(logFile(dir));
    fs.mkdirSync(logFile(dir)); // appending to a directory fails
    expect(await cache.save(change(states[3]!, 5, 5, 9011), { controllerId: 'c' })).toBe('failed');
    expect(cache.report()).toMatchObject({ status: 'write-failed', code: 'GW_CONFIG_CACHE_WRITE_FAILED', reason: expect.stringContaining('log'), log: null });
    fs.rmdirSync(logFile(dir));
    const next = change(states[3]!, 6, 5, 9012);
    expect(await cache.save(next, { controllerId: 'c' })).toBe('saved');
    expect(cache.report()).toMatchObject({ status: 'ok', version: 6, compactions: 1, log: { records: 0 } });
    expect(await loadSnapshot(dir)).toMatchObject({ status: 'ok', snapshot: next });
  });
});

describe('the cache over a random series of changes', () => {
  it('loads exactly the last saved state after every save and every restart, appending or compacting as it goes', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const dir = dirs.make();
    let cache = new ConfigCache({ dir, maxLogRecords: 6 });
    let s = base(12);
    await cache.save(s, { controllerId: 'c' });
    let appends = 0;
    for (let step = 0; step < 60; step++) {
      const version = s.version + 1;
      const pick = random(20);
      const op = random(10);
      if (op < 5) s = change(s, version, pick, 9000 + random(50));
      else if (op < 7) s = without(s, version, pick);
      else if (op < 8) s = buildSnapshot(version, s.epoch, s.resources); // a new version, same content
      else if (op < 9) s = buildSnapshot(version, s.epoch, [...s.resources.filter((r) => r.name !== api(pick).name), apiResource(api(pick, 9000), version), apiResource(api(20 + random(5)), version)].filter((r, i, all) => all.findIndex((o) => o.name === r.name) === i));
      else {
        // A restart: a new cache object continues from what it loads.
        cache = new ConfigCache({ dir, maxLogRecords: 6 });
        expect(await cache.load()).toMatchObject({ status: 'ok', snapshot: s });
        continue;
      }
      const before = cache.report().log?.records ?? 0;
      expect(await cache.save(s, { controllerId: `c${step}` })).toBe('saved');
      if ((cache.report().log?.records ?? 0) === before + 1) appends++;
      const loaded = await loadSnapshot(dir);
      expect(loaded, `step ${step}`).toMatchObject({ status: 'ok', controllerId: `c${step}` });
      if (loaded.status === 'ok') expect(loaded.snapshot).toEqual(s);
    }
    // Both paths were taken.
    expect(appends).toBeGreaterThan(10);
    expect(cache.report().compactions).toBeGreaterThan(0);
  });
});

describe('snapshotChanges', () => {
  it('names the resources added, replaced (content or revision) and removed, in one walk', () => {
    const before = base(5);
    const after = buildSnapshot(2, 1, [
      before.resources[0]!,
      { ...before.resources[1]!, version: 2 },
      apiResource(api(2, 9999), 2),
      before.resources[4]!,
      apiResource(api(7), 2),
    ]);
    const changes = snapshotChanges(before, after);
    expect(changes.put.map((r) => `${r.name}@${r.version}`)).toEqual(['api-001@2', 'api-002@2', 'api-007@2']);
    expect(changes.remove).toEqual([{ type: 'api', name: 'api-003' }]);
    expect(snapshotChanges(after, after)).toEqual({ put: [], remove: [] });
  });
});
