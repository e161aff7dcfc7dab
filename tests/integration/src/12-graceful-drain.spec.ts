// Promise 6, graceful runtime restarts, part by part on a real runtime process: on SIGTERM
// readiness turns 503 at once; the listener keeps serving for DRAIN_GRACE_MS with
// `Connection: close` on every response; then it stops accepting, closes idle keep-alive
// connections, lets requests in flight finish, closes WebSockets with a 1001 close frame
// after WEBSOCKET_DRAIN_MS, and the process exits 0.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { startWebSocketEchoServer, type WebSocketEchoServer } from '@gw/proxy/testing';
import { createTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { startCountingUpstream, type CountingUpstream } from './support/counting-upstream.js';
import {
  putApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { openKeepAliveSocket } from './support/keep-alive-socket.js';
import { stopAll } from './support/processes.js';

let db: { url: string; drop(): Promise<void> };
let ctl: ControllerProcess;
let up: CountingUpstream;
let echo: WebSocketEchoServer;
let version = 0;
/** Held responses of the upstream's `/custom/hold/<id>`, released by the test. */
const held = new Map<string, ServerResponse>();

beforeAll(async () => {
  db = await createTempDatabase();
  up = await startCountingUpstream('A', (req: IncomingMessage, res: ServerResponse) => {
    held.set(req.url!.slice('/custom/hold/'.length), res);
  });
  echo = await startWebSocketEchoServer();
  ctl = await startControllerProcess({ id: 'ctl-drain', databaseUrl: db.url });
  await waitControllerReady(ctl);
  for (const [name, url] of [['api', up.url], ['chat', echo.url]] as const) {
    const res = await putApi(ctl, name, { name, basePath: `/${name}`, upstream: { targets: [{ url }], retries: { attempts: 0 } } });
    expect(res.status, res.body).toBeLessThan(300);
    version = Math.max(version, res.json().configVersion);
  }
});

afterAll(async () => {
  for (const res of held.values()) res.destroy();
  await stopAll();
  await up?.close();
  await echo?.close();
  await db?.drop();
});

async function startDrainingRuntime(id: string, env: Record<string, string>): Promise<RuntimeProcess> {
  const rt = await startRuntimeProcess({ id, controllers: ctl.grpc, env });
  await waitRuntimeVersion(rt, version);
  await waitFor(`${id} ready`, async () => (await http('GET', `${rt.admin}/health/ready`)).status === 200);
  return rt;
}

/** Whether a new TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function openWebSocket(url: string): Promise<{ ws: WebSocket; closeCode: Promise<number>; echo(text: string): Promise<string> }> {
  const ws = new WebSocket(url);
  const closeCode = new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code), { once: true }));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`websocket ${url} failed to open`)), { once: true });
  });
  return {
    ws,
    closeCode,
    echo: (text: string) =>
      new Promise<string>((resolve) => {
        ws.addEventListener('message', (e) => resolve(String(e.data)), { once: true });
        ws.send(text);
      }),
  };
}

describe('graceful drain', () => {
  it('SIGTERM: 503 readiness at once, serving with Connection: close during the grace, in-flight finished, idle and WebSockets closed, exit 0', async () => {
    const GRACE = 4_000;
    const rt = await startDrainingRuntime('rt-drain-1', { DRAIN_GRACE_MS: String(GRACE), WEBSOCKET_DRAIN_MS: '500', SHUTDOWN_GRACE_MS: '15000' });

    // Before SIGTERM: an idle keep-alive connection, one that will send again during the
    // grace, a request in flight, and an open WebSocket.
    const idle = await openKeepAliveSocket(rt.proxyPort);
    expect((await idle.get('/api/before')).status).toBe(200);
    const busy = await openKeepAliveSocket(rt.proxyPort);
    expect((await busy.get('/api/before')).status).toBe(200);
    const inFlight = http('GET', `${rt.proxy}/api/custom/hold/one`, { timeoutMs: 30_000 });
    await waitFor('the in-flight request to reach the upstream', () => held.has('one'));
    const ws = await openWebSocket(`ws://127.0.0.1:${rt.proxyPort}/chat`);
    expect(await ws.echo('before')).toBe('before');

    const sigterm = Date.now();
    rt.proc.child.kill('SIGTERM');

    // 1. Readiness turns 503 at once (the load balancer's signal), with the reason.
    const ready = await withOutput(
      rt.proc,
      waitFor('readiness 503', async () => {
        const r = await http('GET', `${rt.admin}/health/ready`);
        return r.status === 503 ? r : undefined;
      }),
    );
    expect(ready.json()).toMatchObject({ reason: 'draining' });
    expect(Date.now() - sigterm).toBeLessThan(GRACE);

    // 2. The listener still serves during the grace: new connections, and requests on
    // existing keep-alive ones, each told to close (Connection: close).
    const fresh = await http('GET', `${rt.proxy}/api/during`);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.connection).toBe('close');
    const again = await busy.get('/api/during-keepalive');
    expect(again.status).toBe(200);
    expect(again.headers.connection).toBe('close');
    await busy.closed;
    expect(await ws.echo('during')).toBe('during');
    // All of the above inside the grace, or this test proved nothing.
    expect(Date.now() - sigterm, 'the during-grace checks ran inside DRAIN_GRACE_MS').toBeLessThan(GRACE);
    expect(idle.isClosed, 'an idle keep-alive connection stays open during the grace').toBe(false);

    // 3. After the grace: no new connections, idle keep-alive connections closed.
    await withOutput(rt.proc, waitFor('the listener to stop accepting', async () => !(await accepts(rt.proxyPort)), { timeoutMs: GRACE + 10_000 }));
    expect(Date.now() - sigterm).toBeGreaterThanOrEqual(GRACE - 50);
    await withOutput(rt.proc, waitFor('the idle keep-alive connection to be closed', () => idle.isClosed, { timeoutMs: 5_000 }));

    // 4. The WebSocket gets a close frame (1001, going away) after WEBSOCKET_DRAIN_MS, and
    // the upstream sees the gateway's close frame too.
    expect(await ws.closeCode).toBe(1001);
    await waitFor('the upstream to see the close frame', () => echo.closeCodes.includes(1001));

    // 5. The request in flight still finishes, and only then does the process exit 0.
    expect(rt.proc.child.exitCode).toBeNull();
    held.get('one')!.end('finished after the listener closed');
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('finished after the listener closed');
    expect(await withOutput(rt.proc, Promise.race([rt.proc.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 10 s')), 10_000))]))).toBe(0);
    // Nothing the runtime handled failed: the upstream saw each request once.
    expect(up.completed.map((r) => r.url).filter((u) => !u.startsWith('/custom'))).toEqual(['/before', '/before', '/during', '/during-keepalive']);
  });

  it('SHUTDOWN_GRACE_MS bounds the wait for requests in flight: the connection is cut and the process still exits 0', async () => {
    const rt = await startDrainingRuntime('rt-drain-2', { DRAIN_GRACE_MS: '0', SHUTDOWN_GRACE_MS: '700', WEBSOCKET_DRAIN_MS: '0' });
    const stuck = http('GET', `${rt.proxy}/api/custom/hold/two`, { timeoutMs: 30_000 }).then(
      (r) => `status ${r.status}`,
      (err: Error) => `error ${err.message}`,
    );
    await waitFor('the stuck request to reach the upstream', () => held.has('two'));
    const sigterm = Date.now();
    rt.proc.child.kill('SIGTERM');
    expect(await rt.proc.exited).toBe(0);
    expect(Date.now() - sigterm).toBeGreaterThanOrEqual(650);
    expect(Date.now() - sigterm).toBeLessThan(10_000);
    expect(await stuck).toMatch(/^error /);
  });
});
