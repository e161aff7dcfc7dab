import { createServer, type ServerResponse } from 'node:http';
import { parseUpstreamTarget } from '@gw/upstreams';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPools } from './upstream-pools.js';

const pools: UpstreamPools[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

function targetsOf(urls: string[]) {
  return urls.map((url) => parseUpstreamTarget(url, 1));
}

describe('UpstreamPools', () => {
  it('shares one pool per origin and connect timeout, across routing tables', () => {
    const p = new UpstreamPools();
    pools.push(p);
    const [a1, b1] = targetsOf(['http://127.0.0.1:8001', 'http://127.0.0.1:8002']);
    const [a2] = targetsOf(['http://127.0.0.1:8001/prefix']);
    const first = p.get(a1!, 250);
    expect(p.get(a1!, 250)).toBe(first);
    expect(p.get(a2!, 250)).toBe(first);
    expect(p.get(b1!, 250)).not.toBe(first);
    // Another connect timeout is another pool, even for the same target object.
    const slower = p.get(a1!, 1000);
    expect(slower).not.toBe(first);
    expect(slower.connectMs).toBe(1000);
    expect(p.size).toBe(3);
  });

  it('gives the Host header value: the port only when it is not the scheme default', () => {
    const p = new UpstreamPools();
    pools.push(p);
    const [plain, custom, tls, v6] = targetsOf(['http://api.internal', 'http://api.internal:8080', 'https://secure.internal', 'http://[::1]:9000']);
    expect(p.get(plain!, 100).host).toBe('api.internal');
    expect(p.get(custom!, 100).host).toBe('api.internal:8080');
    expect(p.get(tls!, 100).host).toBe('secure.internal');
    expect(p.get(v6!, 100).host).toBe('[::1]:9000');
  });

  it('hands out new pools after close(), never a destroyed one', () => {
    const p = new UpstreamPools();
    pools.push(p);
    const [a] = targetsOf(['http://127.0.0.1:8001']);
    const before = p.get(a!, 250);
    p.close();
    expect(p.size).toBe(0);
    const after = p.get(a!, 250);
    expect(after).not.toBe(before);
    expect(after.pool.destroyed).toBe(false);
  });

  it('has no per-origin connection cap: 600 requests held at once get 600 connections, none waits in the pool', async () => {
    // Requests that stay open (a slow client's response streaming with backpressure holds
    // its upstream request) must not make others wait: the old cap was 512.
    const held: ServerResponse[] = [];
    let connections = 0;
    const server = createServer((_req, res) => void held.push(res));
    server.on('connection', () => connections++);
    const port = await listenLocal(server);
    const p = new UpstreamPools();
    pools.push(p);
    const [target] = targetsOf([`http://127.0.0.1:${port}`]);
    const { pool } = p.get(target!, 5_000);
    try {
      const requests = Array.from({ length: 600 }, () => pool.request({ path: '/', method: 'GET' }).then((r) => r.body.text()));
      await waitFor('every request to reach the upstream', () => held.length === 600, { timeoutMs: 20_000 });
      expect(connections).toBe(600);
      for (const res of held) res.end('ok');
      expect(await Promise.all(requests)).toEqual(Array(600).fill('ok'));
    } finally {
      p.close();
      server.closeAllConnections();
      await closeServer(server);
    }
  }, 30_000);
});
