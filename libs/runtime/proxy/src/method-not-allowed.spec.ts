// A route table's "method not allowed" becomes a JSON 405 with Allow, and nothing goes upstream.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { plainApi } from '@gw/api-schema/testing';
import { stateWith } from '@gw/runtime-config/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createProxyHandler } from './proxy-handler.js';
import { listenLocal } from '@gw/test-kit';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  return listenLocal(server);
}

function send(port: number, method: string, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxy handler: routes with methods', () => {
  it('answers 405 GW_METHOD_NOT_ALLOWED with Allow when the path exists for other methods, and forwards the allowed ones', async () => {
    const seen: string[] = [];
    const upstreamPort = await listen(createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end('ok');
    }));
    const state = stateWith([plainApi('orders', '/orders', [`http://127.0.0.1:${upstreamPort}`], { routes: [{ name: 'get-order', methods: ['GET'], path: '/:id', rateLimits: [] }] })]);
    const handler = createProxyHandler({ getConfig: state.getConfig });
    const port = await listen(createServer((req, res) => handler.handle(req, res)));
    try {
      const refused = await send(port, 'DELETE', '/orders/42');
      expect(refused.status).toBe(405);
      expect(refused.headers['allow']).toBe('GET, HEAD');
      expect(refused.headers['content-type']).toBe('application/json');
      const body = JSON.parse(refused.body) as { code: string; message: string; requestId: string };
      expect(body).toMatchObject({ code: 'GW_METHOD_NOT_ALLOWED', requestId: refused.headers['x-request-id'] });
      expect(body.message).toContain('GET, HEAD');

      expect((await send(port, 'GET', '/orders/42')).status).toBe(200);
      expect((await send(port, 'GET', '/orders/42/items')).status).toBe(404);
      expect(seen).toEqual(['GET /42']);
    } finally {
      handler.close();
    }
  });
});
