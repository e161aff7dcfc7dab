import type { ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { type ApiStore, createApiStore, createDatabase, type Database } from '@gw/store';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { recordingLogger } from '@gw/logging/testing';
import { type ChangeFeed, createChangeFeed } from './change-feed.js';
import { probeCrossConnectionNotify } from './notify-probe.js';

function def(name: string): ApiDefinition {
  return plainApi(name, `/${name}`, ['http://10.0.0.1:8080']);
}

/**
 * A TCP proxy in front of PostgreSQL that drops every NotificationResponse ('A') the
 * server sends: a database on which NOTIFY never reaches another connection, like PGlite
 * behind its socket multiplexer. Server messages are all typed (type byte + int32 length)
 * because pg does not ask for SSL by default.
 */
async function startNotifyDroppingProxy(target: { host: string; port: number }): Promise<{ port: number; dropped: () => number; close(): Promise<void> }> {
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      while (pending.length >= 5) {
        const len = 1 + pending.readInt32BE(1);
        if (pending.length < len) break;
        const msg = pending.subarray(0, len);
        pending = pending.subarray(len);
        if (msg[0] === 0x41) dropped++;
        else out.push(msg);
      }
      if (out.length) client.write(Buffer.concat(out));
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let temp: TempDatabase;
let database: Database;
let store: ApiStore;
let admin: pg.Client;
let proxy: Awaited<ReturnType<typeof startNotifyDroppingProxy>>;
let proxiedUrl: string;

beforeAll(async () => {
  temp = await createTempDatabase({ migrate: true });
  database = createDatabase({ connectionString: temp.url });
  store = createApiStore(database.db);
  admin = new pg.Client({ connectionString: temp.url });
  await admin.connect();
  const url = new URL(temp.url);
  proxy = await startNotifyDroppingProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  url.hostname = '127.0.0.1';
  proxiedUrl = url.toString();
});

afterAll(async () => {
  await proxy?.close();
  await admin?.end();
  await database?.close();
  await temp?.drop();
});

const readVersion = () => store.readConfigState().then((s) => s.version);

async function backendPids(applicationName: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and application_name = $1', [applicationName]);
  return rows.map((r) => r.pid);
}

describe('probeCrossConnectionNotify', () => {
  it('reports delivery on PostgreSQL and leaves no connection behind', async () => {
    const result = await probeCrossConnectionNotify({ connectionString: temp.url, applicationName: 'probe-pg' });
    expect(result.delivered).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    await waitFor('probe connections closed', async () => (await backendPids('probe-pg')).length === 0, { timeoutMs: 5000 });
  });

  it('reports no delivery when notifications do not reach the other connection, within its timeout', async () => {
    const before = proxy.dropped();
    const result = await probeCrossConnectionNotify({ connectionString: proxiedUrl, timeoutMs: 300 });
    expect(result).toEqual({ delivered: false });
    // The notification was sent and delivered by PostgreSQL; the proxy is what lost it.
    expect(proxy.dropped()).toBeGreaterThan(before);
  });

  it('rejects when the database cannot be reached', async () => {
    await expect(probeCrossConnectionNotify({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 })).rejects.toThrow();
  });
});

describe('createChangeFeed in auto mode', () => {
  const feeds: ChangeFeed[] = [];
  afterEach(async () => {
    for (const f of feeds.splice(0)) await f.stop();
  });

  it('chooses listen on PostgreSQL, logs the choice and is woken by notifications alone', async () => {
    const logger = recordingLogger();
    const f = createChangeFeed({ connectionString: temp.url, mode: 'auto', readVersion, onVersion: () => {}, pollIntervalMs: 60_000, applicationName: 'feed-auto-pg', logger });
    feeds.push(f);
    expect(f.mode).toBeUndefined();
    await f.start();
    expect(f.mode).toBe('listen');
    expect(f.listening).toBe(true);
    expect(logger.records.find((r) => r.msg.startsWith('change feed mode chosen'))).toMatchObject({ level: 'info', fields: { mode: 'listen', requested: 'auto' } });
    // A 60 s poll interval: only the doorbell can deliver this in time.
    const { configVersion } = await store.putApi(def('auto-listen'), { actor: 'test' });
    await waitFor('notified version', () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
  });

  it('chooses poll where NOTIFY does not cross connections, opens no LISTEN connection and still delivers by polling', async () => {
    const logger = recordingLogger();
    const f = createChangeFeed({
      connectionString: proxiedUrl,
      mode: 'auto',
      probeTimeoutMs: 300,
      readVersion,
      onVersion: () => {},
      pollIntervalMs: 100,
      applicationName: 'feed-auto-poll',
      logger,
    });
    feeds.push(f);
    await f.start();
    expect(f.mode).toBe('poll');
    expect(f.listening).toBe(false);
    expect(logger.records.find((r) => r.msg.startsWith('change feed mode chosen'))).toMatchObject({ level: 'info', fields: { mode: 'poll', requested: 'auto' } });
    expect(await backendPids('feed-auto-poll')).toEqual([]);
    const { configVersion } = await store.putApi(def('auto-poll'), { actor: 'test' });
    await waitFor('polled version', () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
  });

  it('falls back to listen with a warning when the probe cannot reach the database', async () => {
    const logger = recordingLogger();
    const f = createChangeFeed({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 300,
      mode: 'auto',
      readVersion,
      onVersion: () => {},
      pollIntervalMs: 100,
      reconnect: { initialMs: 50, maxMs: 200 },
      logger,
    });
    feeds.push(f);
    await f.start();
    expect(f.mode).toBe('listen');
    expect(logger.records.find((r) => r.msg.startsWith('change feed mode chosen'))).toMatchObject({ level: 'warn', fields: { mode: 'listen' } });
    const { configVersion } = await store.putApi(def('auto-fallback'), { actor: 'test' });
    await waitFor('polled version', () => f.lastVersion === configVersion, { timeoutMs: 10_000 });
  });

  it('explicit modes skip the probe', async () => {
    const logger = recordingLogger();
    const f = createChangeFeed({ connectionString: proxiedUrl, mode: 'listen', readVersion, onVersion: () => {}, logger });
    feeds.push(f);
    expect(f.mode).toBe('listen');
    await f.start();
    expect(logger.records.some((r) => r.msg.startsWith('change feed mode chosen'))).toBe(false);
  });
});
