// The runtime's keepalive towards its controller, with the product defaults
// (CONTROLLER_KEEPALIVE_MS 3000, CONTROLLER_KEEPALIVE_TIMEOUT_MS 2000), between a real
// controller process and a real ConfigClient in this test process:
// - this process's event loop blocked for longer than the timeout, again and again (as a
//   large config apply on a loaded machine does), does not cost it its stream: the
//   controller's answers arrive meanwhile and are read once the loop runs again;
// - a frozen controller (SIGSTOP) is still noticed within interval + timeout (+ one tick),
//   as README and docs/operations.md say.
import { ConfigClient, DEFAULT_KEEPALIVE } from '@gw/config-client';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putApi, simpleApi, startControllerProcess, waitControllerReady, type ControllerProcess } from './support/gateway-processes.js';
import { stopAll } from './support/processes.js';

/** Each blocked stretch: longer than the keepalive timeout. */
const BLOCK_MS = DEFAULT_KEEPALIVE.timeoutMs + 500;
/** Enough stretches that a probe falls due during one and is sent just before the next. */
const BLOCKS = Math.ceil(DEFAULT_KEEPALIVE.timeMs / BLOCK_MS) + 2;
/** Documented: interval + timeout; the margin is for a loaded 2-core machine (scheduling, the reconnect bookkeeping). */
const FROZEN_BOUND_MS = DEFAULT_KEEPALIVE.timeMs + DEFAULT_KEEPALIVE.timeoutMs + 2_500;

let db: TempDatabase;
let ctl: ControllerProcess;
let client: ConfigClient;
/** Versions the client was sent and applied, in order. */
const applied: number[] = [];

/** Busy for `ms` without yielding: what a long synchronous apply does to the loop. */
function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** `count` blocked stretches with one turn of the loop between them (timers, I/O poll, immediates). */
async function blockRepeatedly(count: number, ms: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        blockLoop(ms);
        resolve();
      }),
    );
  }
}

beforeAll(async () => {
  db = await createTempDatabase();
  ctl = await startControllerProcess({ id: 'ctl-keepalive', databaseUrl: db.url, insecure: true });
  await waitControllerReady(ctl);
  client = new ConfigClient({
    addresses: [ctl.grpc],
    node: { id: 'rt-keepalive', zone: 'a' },
    applied: () => undefined,
    apply: (snapshot) => {
      applied.push(snapshot.version);
      return { ok: true };
    },
  });
  client.start();
  await waitFor('connected to the controller', () => client.status.connected);
});

afterAll(async () => {
  await client?.stop();
  ctl?.proc.child.kill('SIGCONT');
  await stopAll();
  await db?.drop();
});

describe('config stream keepalive', () => {
  it(`keeps its stream while this process's loop is blocked ${BLOCKS} times for ${BLOCK_MS} ms (timeout ${DEFAULT_KEEPALIVE.timeoutMs} ms)`, async () => {
    expect(client.status).toMatchObject({ connected: true, connects: 1, lastError: undefined });
    await blockRepeatedly(BLOCKS, BLOCK_MS);
    // The stream still carries config: a deploy made now arrives on it (a drop decided during
    // the stalls would have shown as a second connect long before).
    const res = await putApi(ctl, 'after-stall', simpleApi('after-stall', 'http://127.0.0.1:9'));
    expect(res.status, res.body).toBe(201);
    const version = res.json().configVersion as number;
    await waitFor('the deploy to arrive', () => applied.includes(version));
    expect(client.status).toMatchObject({ connected: true, connects: 1, lastError: undefined, controllerId: 'ctl-keepalive' });
  });

  it('notices a frozen controller (SIGSTOP) within the keepalive interval + timeout', async () => {
    expect(client.status.connected).toBe(true);
    const frozenAt = performance.now();
    ctl.proc.child.kill('SIGSTOP');
    await waitFor('the stream to be given up', () => client.status.lastError !== undefined, { timeoutMs: 30_000 });
    const noticedMs = performance.now() - frozenAt;
    expect(client.status.lastError).toMatch(/^UNAVAILABLE: keepalive: no answer from the controller/);
    expect(noticedMs).toBeLessThan(FROZEN_BOUND_MS);
    console.info(`[32] SIGSTOP noticed after ${Math.round(noticedMs)} ms (keepalive ${DEFAULT_KEEPALIVE.timeMs} + ${DEFAULT_KEEPALIVE.timeoutMs} ms)`);
  });
});
