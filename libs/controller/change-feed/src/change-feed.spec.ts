import type { ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { type ApiStore, createApiStore, createDatabase, type Database } from '@gw/store';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { createHook } from 'node:async_hooks';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { recordingLogger } from '@gw/logging/testing';
import { type ChangeFeed, type ChangeFeedOptions, createChangeFeed } from './change-feed.js';

function def(name: string, n = 1): ApiDefinition {
  return plainApi(name, `/${name}`, [`http://10.0.0.${n % 250}:8080`]);
}

/**
 * Tracks every timer and socket created while enabled, unref'ed ones included (which
 * process.getActiveResourcesInfo() does not list), until it is cleared or closed.
 */
function trackHandles() {
  const live = new Map<number, string>();
  const hook = createHook({
    init(asyncId, type) {
      if (type === 'Timeout' || type === 'TCPWRAP') live.set(asyncId, type);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  });
  /** Waits (bounded) for them all to go, looping on setImmediate so the wait adds no timers. */
  const settled = async (timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (live.size > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  };
  return { hook, live, settled };
}

let temp: TempDatabase;
let database: Database;
let store: ApiStore;
let admin: pg.Client;

beforeAll(async () => {
  temp = await createTempDatabase({ migrate: true });
  database = createDatabase({ connectionString: temp.url });
  store = createApiStore(database.db);
  admin = new pg.Client({ connectionString: temp.url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await database?.close();
  await temp?.drop();
});

async function backendPids(applicationName: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database() and application_name = $1 order by pid',
    [applicationName],
  );
  return rows.map((r) => r.pid);
}

const readVersion = () => store.readConfigState().then((s) => s.version);

describe('createChangeFeed (PostgreSQL)', () => {
  const feeds: ChangeFeed[] = [];
  afterEach(async () => {
    for (const f of feeds.splice(0)) await f.stop();
  });

  function feed(overrides: Partial<ChangeFeedOptions> & { seen?: number[] } = {}): ChangeFeed {
    const seen = overrides.seen ?? [];
    const f = createChangeFeed({
      connectionString: temp.url,
      readVersion,
      onVersion: (v) => void seen.push(v),
      reconnect: { initialMs: 50, maxMs: 500 },
      ...overrides,
    });
    feeds.push(f);
    return f;
  }

  it('starts at the current version and sees each write quickly in listen mode', async () => {
    const seen: number[] = [];
    const f = feed({ seen, applicationName: 'feed-quick' });
    const current = await readVersion();
    await f.start();
    expect(f.lastVersion).toBe(current);
    expect(f.listening).toBe(true);
    expect(await backendPids('feed-quick')).toHaveLength(1);

    for (let i = 0; i < 3; i++) {
      const { configVersion } = await store.putApi(def('quick', i), { actor: 'test' });
      await waitFor(`version ${configVersion}`, () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
    }
    // Strictly increasing, no duplicates.
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(current + 3);
  });

  it('delivers a version by notification alone (poll interval 60 s)', async () => {
    let reads = 0;
    const f = feed({
      applicationName: 'feed-notify',
      pollIntervalMs: 60_000,
      readVersion: () => {
        reads++;
        return readVersion();
      },
    });
    await f.start();
    const readsAfterStart = reads;
    const { configVersion } = await store.putApi(def('notified'), { actor: 'test' });
    await waitFor('notified version', () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
    // The doorbell rang: a read happened without any poll tick.
    expect(reads).toBeGreaterThan(readsAfterStart);
  });

  it('in poll mode never opens a LISTEN connection and still delivers versions within the poll interval', async () => {
    const f = feed({ applicationName: 'feed-poll', mode: 'poll', pollIntervalMs: 200 });
    await f.start();
    expect(f.listening).toBe(false);
    const { configVersion } = await store.putApi(def('polled'), { actor: 'test' });
    await waitFor('polled version', () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
    expect(await backendPids('feed-poll')).toEqual([]);
  });

  it('reconnects after its LISTEN backend is terminated during a burst of 30 writes and ends on the final version', async () => {
    const seen: number[] = [];
    const logger = recordingLogger();
    // A long poll interval: only notifications and the reconnect catch-up can deliver.
    const f = feed({ seen, logger, applicationName: 'feed-kill', pollIntervalMs: 60_000 });
    await f.start();
    const [pidBefore] = await backendPids('feed-kill');
    expect(pidBefore).toBeDefined();

    let final = 0;
    for (let i = 0; i < 30; i++) {
      if (i === 10) {
        const { rows } = await admin.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [pidBefore]);
        expect(rows[0]?.ok).toBe(true);
      }
      final = (await store.putApi(def(`burst-${i % 5}`, i), { actor: 'burst' })).configVersion;
    }

    await waitFor(`final version ${final}`, () => f.lastVersion === final, { timeoutMs: 15_000 });
    await waitFor('a new LISTEN backend', async () => (await backendPids('feed-kill')).some((pid) => pid !== pidBefore), { timeoutMs: 15_000 });
    expect(await backendPids('feed-kill')).not.toContain(pidBefore);
    expect(logger.records.map((r) => r.msg)).toContain('LISTEN connection lost');
    expect(f.listening).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] ?? Infinity);

    // And the new connection is a working doorbell.
    const after = await store.putApi(def('after-reconnect'), { actor: 'test' });
    await waitFor('version after reconnect', () => f.lastVersion === after.configVersion, { timeoutMs: 10_000 });
  });

  it('keeps retrying LISTEN with backoff while polling still delivers versions', async () => {
    const logger = recordingLogger();
    // The LISTEN connection points at a port nobody listens on; reads use the real store.
    const f = feed({
      logger,
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
      pollIntervalMs: 200,
    });
    await f.start();
    expect(f.listening).toBe(false);
    await waitFor('three LISTEN attempts', () => logger.records.filter((r) => r.msg === 'LISTEN connection failed').length >= 3, { timeoutMs: 10_000 });
    const { configVersion } = await store.putApi(def('poll-fallback'), { actor: 'test' });
    await waitFor('polled version', () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
  });

  it('stop() during start() leaves nothing running, and a stopped feed cannot restart', async () => {
    const logger = recordingLogger();
    const tracker = trackHandles();
    const f = feed({ logger, applicationName: 'feed-early-stop', pollIntervalMs: 20 });
    try {
      tracker.hook.enable();
      const starting = f.start();
      const stopping = f.stop();
      await Promise.all([starting, stopping]);
      await tracker.settled();
    } finally {
      tracker.hook.disable();
    }
    expect(f.listening).toBe(false);
    expect([...tracker.live.values()]).toEqual([]);
    await waitFor('no LISTEN backend', async () => (await backendPids('feed-early-stop')).length === 0, { timeoutMs: 5000 });
    expect(logger.records.map((r) => r.msg)).not.toContain('LISTEN connection lost');
    await expect(f.start()).rejects.toThrow(/cannot restart/);
  });

  it('stop() closes the connection and timers, leaving no open handles', async () => {
    // A pool of one connection without idle timers, so handle counts are stable.
    const quiet = createDatabase({ connectionString: temp.url, poolMax: 1, idleTimeoutMillis: 0 });
    const quietStore = createApiStore(quiet.db);
    const { hook, live, settled } = trackHandles();
    try {
      await quietStore.readConfigState();
      // Sockets only: the feed's own timers are tracked exactly by the async hook above, while the
      // process-wide Timeout count moves with unrelated timers (pools, the test runner) on a loaded machine.
      const handles = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Timeout').sort();
      const before = handles();

      hook.enable();
      const f = createChangeFeed({
        connectionString: temp.url,
        applicationName: 'feed-stop',
        readVersion: () => quietStore.readConfigState().then((s) => s.version),
        onVersion: () => {},
        pollIntervalMs: 50,
      });
      await f.start();
      expect(f.listening).toBe(true);
      expect([...live.values()]).toEqual(expect.arrayContaining(['Timeout', 'TCPWRAP']));
      const { configVersion } = await createApiStore(quiet.db).putApi(def('stopping'), { actor: 'test' });
      await waitFor('version before stop', () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
      await f.stop();
      expect(f.listening).toBe(false);
      await settled();
      hook.disable();
      expect([...live.values()]).toEqual([]);

      await waitFor(`handles back to ${before.join(',')}`, () => JSON.stringify(handles()) === JSON.stringify(before), { timeoutMs: 5000 });
      await waitFor('the LISTEN backend gone', async () => (await backendPids('feed-stop')).length === 0, { timeoutMs: 5000 });
      // Stopped for good: wake-ups and later writes do nothing.
      const last = f.lastVersion;
      f.wake();
      await quietStore.putApi(def('stopping'), { actor: 'test' });
      expect(f.lastVersion).toBe(last);
    } finally {
      hook.disable();
      await quiet.close();
    }
  });
});
