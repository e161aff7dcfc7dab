// Promise 6 end to end: a rolling restart of two runtimes behind a real load balancer
// (HAProxy from Debian, health-checking /health/ready on the admin port) under steady
// keep-alive client traffic fails zero requests. Each runtime in turn gets SIGTERM, drains
// (readiness 503 → HAProxy takes it out → Connection: close → exit 0), is started again on
// the same ports, and only then is the next one restarted.
import { createTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@gw/test-kit';
import { startCountingUpstream, type CountingUpstream } from './support/counting-upstream.js';
import { putApi, startControllerProcess, waitControllerReady, withOutput, type ControllerProcess } from './support/gateway-processes.js';
import { haproxyBinary, startHaproxy, type Haproxy } from './support/haproxy.js';
import { http } from './support/http.js';
import { startLoadLoop } from './support/load-loop.js';
import { startApp, stopAll, type AppProcess } from './support/processes.js';

const haproxy = haproxyBinary();

interface Slot {
  name: string;
  proxyPort: number;
  adminPort: number;
  proc?: AppProcess;
}

let db: { url: string; drop(): Promise<void> };
let ctl: ControllerProcess;
let up: CountingUpstream;
let lb: Haproxy | undefined;
let version = 0;
const slots: Slot[] = [];

function startRuntime(slot: Slot): AppProcess {
  slot.proc = startApp('runtime', slot.name, {
    RUNTIME_ID: slot.name,
    ZONE: 'a',
    CONTROLLER_ADDRESSES: ctl.grpc,
    RUNTIME_HOST: '127.0.0.1',
    RUNTIME_ADMIN_HOST: '127.0.0.1',
    RUNTIME_HTTP_PORT: String(slot.proxyPort),
    RUNTIME_ADMIN_PORT: String(slot.adminPort),
    // Far above HAProxy's check interval × fall (100 ms × 2): it has long noticed by then.
    DRAIN_GRACE_MS: '2000',
    SHUTDOWN_GRACE_MS: '5000',
    LOG_LEVEL: 'info',
  });
  return slot.proc;
}

async function waitReady(slot: Slot): Promise<void> {
  await withOutput(
    slot.proc!,
    waitFor(
      `${slot.name} ready at v${version}`,
      async () => {
        const r = await http('GET', `http://127.0.0.1:${slot.adminPort}/health/ready`, { timeoutMs: 2_000 });
        return r.status === 200 && r.json().version >= version;
      },
      { timeoutMs: 30_000 },
    ),
  );
}

async function waitStatus(name: string, status: 'UP' | 'DOWN', timeoutMs = 15_000): Promise<void> {
  await waitFor(`HAProxy to see ${name} ${status}`, async () => (await lb!.stats())[name]?.status === status, { timeoutMs, intervalMs: 20 });
}

beforeAll(async () => {
  // CI installs it (.ci/run); without it the spec fails rather than passing unseen, like the promtool and browser specs.
  if (haproxy === undefined) throw new Error('13-rolling-restart needs haproxy: apt-get install -y haproxy');
  db = await createTempDatabase();
  up = await startCountingUpstream('A');
  ctl = await startControllerProcess({ id: 'ctl-rolling', databaseUrl: db.url });
  await waitControllerReady(ctl);
  const res = await putApi(ctl, 'api', { name: 'api', basePath: '/api', upstream: { targets: [{ url: up.url }] } });
  expect(res.status, res.body).toBeLessThan(300);
  version = res.json().configVersion;
  for (const name of ['rt-1', 'rt-2']) slots.push({ name, proxyPort: await freePort(), adminPort: await freePort() });
  for (const slot of slots) startRuntime(slot);
  for (const slot of slots) await waitReady(slot);
  lb = await startHaproxy({ servers: slots.map((s) => ({ name: s.name, port: s.proxyPort, checkPort: s.adminPort })), interMs: 100, fall: 2, rise: 2 });
  for (const slot of slots) await waitStatus(slot.name, 'UP');
});

afterAll(async () => {
  await lb?.stop();
  await stopAll();
  await up?.close();
  await db?.drop();
});

describe('rolling restart behind HAProxy', () => {
  it('restarts both runtimes one after the other under steady keep-alive traffic with zero failed requests', async () => {
    const load = startLoadLoop({
      url: (n) => `${lb!.url}/api/item/${n}`,
      concurrency: 4,
      pauseMs: 5,
      maxRequests: 50_000,
      maxMs: 120_000,
      timeoutMs: 10_000,
    });
    try {
      await waitFor('traffic to flow', () => load.ok >= 100, { timeoutMs: 20_000 });
      for (const slot of slots) {
        const before = (await lb!.stats())[slot.name]!.sessions;
        expect(before, `${slot.name} served traffic before its restart`).toBeGreaterThan(0);
        const proc = slot.proc!;
        proc.child.kill('SIGTERM');
        // The balancer takes it out while it still serves…
        await waitStatus(slot.name, 'DOWN');
        // …and it exits 0 once drained.
        expect(await withOutput(proc, Promise.race([proc.exited, timeoutAfter(20_000, `${slot.name} to exit`)]))).toBe(0);
        startRuntime(slot);
        await waitReady(slot);
        await waitStatus(slot.name, 'UP');
        // It takes traffic again before the next one goes.
        const okNow = load.ok;
        await waitFor(`${slot.name} to serve again`, async () => (await lb!.stats())[slot.name]!.sessions > before && load.ok > okNow + 100, {
          timeoutMs: 20_000,
        });
      }
    } finally {
      const result = await load.stop();
      expect(result.failures, JSON.stringify(result.failures, null, 1)).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.stoppedBy, 'the load loop ran to the end of the test, not into a cap').toBe('caller');
      expect(result.ok).toBeGreaterThan(300);
    }
  });
});

function timeoutAfter(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref());
}
