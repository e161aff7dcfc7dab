// Issue 14 (item 6): a frozen database (SIGSTOP: the server accepts bytes and never
// answers, so its own statement timeout cannot fire) must not hold a deploy request past
// the controller's client-side bound, DB_REQUEST_TIMEOUT_MS. Frozen before the write's
// commit was sent: 503 GW_DATABASE_UNAVAILABLE, and after SIGCONT nothing was written.
// Frozen between sending the commit and its answer: 503 GW_OUTCOME_UNKNOWN naming the API,
// the revision and the GET that tells; after SIGCONT that GET shows the write committed.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, controllerVersion, putApi, simpleApi, startControllerProcess, waitControllerReady, type ControllerProcess } from './support/gateway-processes.js';
import { http } from './support/http.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';
import { stopAll } from './support/processes.js';

const REQUEST_TIMEOUT_MS = 1_500;
/** The bound plus a connect timeout and scheduling slack on a loaded 2-core machine; without the bound the request never ends. */
const ANSWER_BOUND_MS = 6_000;
const UPSTREAM = 'http://127.0.0.1:9';

/** Every process of the private server (postmaster and its children), to freeze and thaw it whole. */
function serverPids(port: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null);
  const postmaster = rows.find((m) => /postgres/.test(m[3]!) && m[3]!.includes(`-p ${port} `));
  if (postmaster === undefined) throw new Error(`no postgres process on port ${port}`);
  const pid = Number(postmaster[1]);
  return [pid, ...rows.filter((m) => Number(m[2]) === pid).map((m) => Number(m[1]))];
}

let frozen: number[] = [];
function freeze(port: number): void {
  frozen = serverPids(port);
  for (const pid of frozen) process.kill(pid, 'SIGSTOP');
}
function thaw(): void {
  for (const pid of frozen.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  }
}

/**
 * A pass-through TCP proxy in front of the server. Armed, it freezes the server (SIGSTOP)
 * the moment a write statement that commits as it ends (the store marks it `gw:commits`)
 * passes, and only then forwards those bytes: the server holds the commit unread
 * until SIGCONT, so the controller's bound fires between sending the commit and its answer.
 * Closes are not passed on, so a thawed server still reads and runs what it was sent.
 */
async function commitFreezingProxy(port: number) {
  let armed = false;
  let fired = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (chunk) => {
      if (armed && chunk.toString('latin1').includes('gw:commits')) {
        armed = false;
        fired = true;
        freeze(port);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    arm() {
      armed = true;
      fired = false;
    },
    get fired() {
      return fired;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let pg: PrivatePostgres;
let proxy: Awaited<ReturnType<typeof commitFreezingProxy>>;
let ctl: ControllerProcess;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  proxy = await commitFreezingProxy(pg.port);
  ctl = await startControllerProcess({
    id: 'ctl-frozen',
    databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
    insecure: true,
    // No fleet bookkeeping commits while the proxy is armed: no runtimes, a rare heartbeat.
    env: { DB_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), DB_CONNECT_TIMEOUT_MS: '1000', FLEET_HEARTBEAT_MS: '300000', LOG_LEVEL: 'info' },
  });
  await waitControllerReady(ctl);
}, 60_000);

afterAll(async () => {
  thaw();
  await stopAll();
  await proxy?.close();
  await pg?.destroy();
});

/** Waits until the thawed database answers the deploy API again. */
async function waitDeployApi(): Promise<void> {
  await waitFor('the deploy API answers again', async () => (await http('GET', `${ctl.http}/v1/apis`, { headers: authHeaders, timeoutMs: 5_000 })).status === 200, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

describe('a frozen database (SIGSTOP) cannot hold a deploy request', () => {
  it('frozen before the commit: 503 GW_DATABASE_UNAVAILABLE within the bound; after SIGCONT nothing was written and writes work again', async () => {
    const seed = await putApi(ctl, 'seed', simpleApi('seed', UPSTREAM));
    expect(seed.status, seed.body).toBe(201);

    freeze(pg.port);
    const started = Date.now();
    const res = await putApi(ctl, 'frozen', simpleApi('frozen', UPSTREAM), 30_000);
    const tookMs = Date.now() - started;
    thaw();
    expect(res.status, res.body).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'GW_DATABASE_UNAVAILABLE' });
    expect(res.headers['retry-after']).toBeDefined();
    expect(tookMs).toBeLessThan(ANSWER_BOUND_MS);

    await waitDeployApi();
    const get = await http('GET', `${ctl.http}/v1/apis/frozen`, { headers: authHeaders });
    expect(get.status, get.body).toBe(404);
    const again = await putApi(ctl, 'frozen', simpleApi('frozen', UPSTREAM));
    expect(again.status, again.body).toBe(201);
  });

  it('frozen between sending the commit and its answer: 503 GW_OUTCOME_UNKNOWN naming the API, the revision and the check; after SIGCONT the check shows it committed', async () => {
    const first = await putApi(ctl, 'orders', simpleApi('orders', UPSTREAM));
    expect(first.status, first.body).toBe(201);
    // The controller has read that write (its own reads are done) before the proxy is armed.
    await waitFor('the controller compiled the first write', async () => (await controllerVersion(ctl)) >= first.json().configVersion, { timeoutMs: 10_000, intervalMs: 50 });

    proxy.arm();
    const started = Date.now();
    const res = await putApi(ctl, 'orders', { ...simpleApi('orders', UPSTREAM), stripBasePath: false }, 30_000);
    const tookMs = Date.now() - started;
    const fired = proxy.fired;
    thaw();
    expect(fired).toBe(true);
    expect(res.status, res.body).toBe(503);
    const problem = res.json();
    expect(problem).toMatchObject({ code: 'GW_OUTCOME_UNKNOWN', name: 'orders', revision: 2, check: 'GET /v1/apis/orders/revisions/2' });
    expect(problem.detail).toMatch(/may or may not have committed/);
    expect(tookMs).toBeLessThan(ANSWER_BOUND_MS);

    // The truth, once the database answers: the check the document named finds the write.
    await waitDeployApi();
    const check = await http('GET', `${ctl.http}/v1/apis/orders/revisions/2`, { headers: authHeaders });
    expect(check.status, check.body).toBe(200);
    expect(check.json()).toMatchObject({ revision: 2 });
    const current = await http('GET', `${ctl.http}/v1/apis/orders`, { headers: authHeaders });
    expect(current.json()).toMatchObject({ revision: 2, api: { name: 'orders', stripBasePath: false } });
  });
});
