// Pipelined requests under an idempotency-key policy (issue 15): a request pipelined behind
// another on one connection must give back its buffer reservation and its idempotency
// claim whatever happens to the connection, over real sockets on 127.0.0.1.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { ApiDefinition } from '@gw/api-schema';
import { plainApi, policiesOf } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { RuntimeState } from '@gw/runtime-config';
import { testServices } from '@gw/runtime-config/testing';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeGuard } from '../edge/edge-guard.js';
import { createProxyHandler, type ProxyHandler } from '../proxy-handler.js';
import { createProxyListener } from '../proxy-listener.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

// Far more than loopback socket buffers hold (a few MiB each way).
const BIG = Buffer.alloc(32 * 1024 * 1024, 'b');
const idempotency = { methods: ['POST' as const], ttlMs: 120_000, lockTtlMs: 61_000, maxResponseBytes: 1024 };

/** /slow answers after `slowMs`; anything else at once with the body it got. */
async function startUpstream(slowMs: number): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      if (req.url?.endsWith('/big')) return void res.end(BIG);
      setTimeout(() => res.end(`ran ${req.url}`), req.url?.endsWith('/slow') ? slowMs : 0);
    });
  });
  const port = await listenLocal(server);
  cleanups.push(() => {
    server.closeAllConnections();
    return closeServer(server);
  });
  return { url: `http://127.0.0.1:${port}`, bodies };
}

async function gateway(apis: ApiDefinition[], edge: { clientSendTimeoutMs?: number } = {}): Promise<{ port: number; handler: ProxyHandler }> {
  const state = new RuntimeState({ maxApis: 10, services: testServices() });
  const verdict = state.apply(snapshotOf(apis, 1), 'controller');
  if (!verdict.ok) throw new Error(verdict.message);
  const handler = createProxyHandler({ getConfig: state.getConfig, edge: new EdgeGuard({ maxBodyBytes: 1024, ...edge }) });
  const listener = createProxyListener(handler);
  const port = await listenLocal(listener.server);
  cleanups.push(async () => {
    listener.server.closeAllConnections();
    handler.close();
    await closeServer(listener.server);
  });
  return { port, handler };
}

/** What the budget holds besides the open connections' own charges (CONNECTION_MEMORY_BYTES each): the bodies' reservations. */
function reserved(handler: ProxyHandler): number {
  return handler.budget.used - handler.budget.connectionUsed;
}

function post(path: string, key: string, body: string, last = false): string {
  return `POST ${path} HTTP/1.1\r\nHost: a\r\nIdempotency-Key: ${key}\r\nContent-Length: ${body.length}\r\n${last ? 'Connection: close\r\n' : ''}\r\n${body}`;
}

/** A raw connection sending `bytes`; one that does not read (`reads: false`) takes nothing of its responses. */
function raw(port: number, bytes: string, reads = true): { text(): string; destroy(): void; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  if (reads) socket.on('data', (c: Buffer) => chunks.push(c));
  else socket.pause();
  socket.on('error', () => undefined);
  socket.write(bytes);
  cleanups.push(() => void socket.destroy());
  return { text: () => Buffer.concat(chunks).toString('latin1'), destroy: () => socket.destroy(), closed: new Promise((r) => socket.once('close', () => r())) };
}

describe('pipelined idempotent requests', () => {
  it('a connection that closes while a pipelined idempotent request waits gives back its buffer reservation and its claim', async () => {
    const up = await startUpstream(300);
    const g = await gateway([plainApi('pay', '/pay', [up.url], { policies: policiesOf({ idempotency }) })]);
    const c = raw(g.port, post('/pay/slow', 'first', 'one') + post('/pay/next', 'second', 'two'));
    // Both bodies are read and hashed (reserved) at once; the second waits for the first response.
    await waitFor('both reservations', () => reserved(g.handler) === 6);
    c.destroy();
    await waitFor('the reservations to be given back', () => g.handler.budget.used === 0, { timeoutMs: 3_000 });
    // The second request never reached the upstream: its key runs when sent again.
    await waitFor('the first try to end', () => up.bodies.length >= 1);
    const again = raw(g.port, post('/pay/next', 'second', 'two', true));
    await again.closed;
    expect(again.text()).toMatch(/^HTTP\/1\.1 200 /);
    expect(again.text()).toContain('ran /next');
  });

  for (const how of ['client leaves', 'send timeout'] as const) {
    it(`behind a slow reader (${how}): the pipelined request's reservation and claim are given back`, async () => {
      const up = await startUpstream(0);
      const g = await gateway([plainApi('pay', '/pay', [up.url], { policies: policiesOf({ idempotency }) })], { clientSendTimeoutMs: how === 'send timeout' ? 300 : 0 });
      const c = raw(g.port, 'GET /pay/big HTTP/1.1\r\nHost: a\r\n\r\n' + post('/pay/next', 'behind', 'two'), false);
      await waitFor('the second reservation', () => reserved(g.handler) >= 3);
      await new Promise((r) => setTimeout(r, 200));
      if (how === 'client leaves') c.destroy();
      // A paused socket does not see its reset: what counts is what the gateway gave back.
      await waitFor('the reservations to be given back', () => g.handler.budget.used === 0 && g.handler.diskBudget.used === 0, { timeoutMs: 3_000 });
      c.destroy();
      const again = raw(g.port, post('/pay/next', 'behind', 'two', true));
      await again.closed;
      expect(again.text()).toMatch(/^HTTP\/1\.1 200 /);
      expect(again.text()).toContain('ran /next');
    });
  }

  it('both pipelined answers arrive and are stored; the budget is given back', async () => {
    const up = await startUpstream(100);
    const g = await gateway([plainApi('pay', '/pay', [up.url], { policies: policiesOf({ idempotency }) })]);
    const c = raw(g.port, post('/pay/slow', 'a1', 'one') + post('/pay/next', 'a2', 'two', true));
    await c.closed;
    expect((c.text().match(/HTTP\/1\.1 200 /g) ?? []).length).toBe(2);
    await waitFor('the reservations to be given back', () => g.handler.budget.used === 0, { timeoutMs: 3_000 });
    const replay = raw(g.port, post('/pay/next', 'a2', 'two', true));
    await replay.closed;
    expect(replay.text().toLowerCase()).toContain('idempotent-replayed: true');
    expect(up.bodies).toEqual(['one', 'two']);
  });
});

