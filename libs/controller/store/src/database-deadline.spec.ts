import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from './database.js';
import { createApiStore } from './pg-api-store.js';
import { createTempDatabase, type TempDatabase } from './testing/index.js';

function def(name: string): ApiDefinition {
  const result = validateApiDefinition({ name, basePath: `/${name}`, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

/**
 * A TCP proxy in front of the real PostgreSQL that can go silent like a frozen server:
 * `stall('now')` stops passing answers at once; `stall('after-commit')` lets everything
 * through until it sees a commit go to the server, forwards it (so the server commits),
 * and passes nothing back after it. Held answers are dropped.
 */
async function stallingProxy(target: URL) {
  let mode: 'open' | 'now' | 'after-commit' = 'open';
  let stalled = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (chunk) => {
      if (mode === 'after-commit' && /gw:commits|commit/i.test(chunk.toString('latin1'))) stalled = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!stalled && mode !== 'now') client.write(chunk);
    });
    // A client that gives up closes its side; the server is told only when the proxy closes.
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url: url.toString(),
    stall(how: 'now' | 'after-commit') {
      mode = how;
      stalled = false;
    },
    resume() {
      mode = 'open';
      stalled = false;
    },
    get stalled() {
      return stalled || mode === 'now';
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let temp: TempDatabase;
let proxy: Awaited<ReturnType<typeof stallingProxy>>;
let database: Database;
const TIMEOUT_MS = 400;

beforeAll(async () => {
  temp = await createTempDatabase({ migrate: true });
  proxy = await stallingProxy(new URL(temp.url));
  database = createDatabase({ connectionString: proxy.url, requestTimeoutMs: TIMEOUT_MS });
});
afterAll(async () => {
  await database?.close();
  await proxy?.close();
  await temp?.drop();
});

describe('client-side deadline on every database call (issue 14)', () => {
  it('a silent server: the write fails within the bound as GW_DATABASE_UNAVAILABLE, nothing is written, and the pool recovers', async () => {
    const store = createApiStore(database.db);
    await store.putApi(def('warm'), { actor: 't' });
    proxy.stall('now');
    const started = Date.now();
    await expect(store.putApi(def('frozen'), { actor: 't' })).rejects.toMatchObject({ code: 'GW_DATABASE_UNAVAILABLE' });
    // The bound, plus scheduling slack on a loaded machine; without the deadline this never returns.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_500);
    proxy.resume();
    expect(await store.getApi('frozen')).toBeUndefined();
    // The broken connection was discarded, not handed out again.
    await store.putApi(def('after'), { actor: 't' });
    expect((await store.getApi('after'))?.revision).toBe(1);
  });

  it('silent after the commit was sent: GW_OUTCOME_UNKNOWN names the API, the revision and the GET that tells; that GET finds the committed write', async () => {
    const store = createApiStore(database.db);
    await store.putApi(def('orders'), { actor: 't' });
    proxy.stall('after-commit');
    const err = await store.putApi({ ...def('orders'), stripBasePath: false }, { actor: 't' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(proxy.stalled).toBe(true);
    expect(err).toMatchObject({
      code: 'GW_OUTCOME_UNKNOWN',
      details: { name: 'orders', revision: 2, check: 'GET /v1/apis/orders/revisions/2' },
    });
    expect((err as Error).message).toMatch(/may or may not have committed/);
    proxy.resume();
    // The server did commit: the revision the document names exists, with the new content.
    const revision = await store.getRevision('orders', 2);
    expect(revision?.definition).toMatchObject({ name: 'orders', stripBasePath: false });
    expect((await store.getApi('orders'))?.revision).toBe(2);
  });
});
