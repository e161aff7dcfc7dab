// The deploy-API client over real sockets: which answers make it try the next controller
// URL (refused, 502/503) and which are the answer (4xx, a 504 wait timeout).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, freePort, listenLocal } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, DeployClient } from './client.js';
import { CommandError } from './usage-error.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

interface Seen {
  url: string;
  method: string;
  authorization: string | undefined;
  body: string;
}

/** A controller stand-in answering `status` with `body`; records what reached it. */
async function controller(status: number, body: unknown): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', method: req.method ?? '', authorization: req.headers.authorization, body: data });
      res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${await listenLocal(server)}`, seen };
}

const problem = (status: number, title: string, extra: Record<string, unknown> = {}) => ({ type: 'urn:x', title, status, detail: `${title} detail`, code: 'GW_X', ...extra });

describe('DeployClient', () => {
  it('skips a refused URL and a 503, sends the token and the body, and returns the first real answer', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const unavailable = await controller(503, problem(503, 'Database unavailable'));
    const ok = await controller(200, { items: [] });
    const client = new DeployClient({ urls: [dead, unavailable.url, ok.url], token: 't0ken' });
    const res = await client.request('POST', '/v1/apply?dryRun=true', { body: { apis: [] } });
    expect(res).toMatchObject({ status: 200, body: { items: [] } });
    expect(unavailable.seen).toHaveLength(1);
    expect(ok.seen).toEqual([{ url: '/v1/apply?dryRun=true', method: 'POST', authorization: 'Bearer t0ken', body: '{"apis":[]}' }]);
  });

  it('never tries the next URL after a 4xx or a 504 wait timeout: that is the answer, as title: detail with field paths', async () => {
    const refusing = await controller(400, problem(400, 'Invalid API definition', { errors: [{ path: '/apis/0/basePath', message: 'must start with "/"' }] }));
    const waitTimeout = await controller(504, problem(504, 'Wait timed out', { code: 'GW_WAIT_TIMEOUT', laggards: [] }));
    const next = await controller(200, {});
    for (const first of [refusing, waitTimeout]) {
      const err = await new DeployClient({ urls: [first.url, next.url], token: undefined }).request('GET', '/v1/apis').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(first === refusing ? 400 : 504);
    }
    expect(next.seen).toEqual([]);
    const err = (await new DeployClient({ urls: [refusing.url], token: undefined }).request('GET', '/v1/apis').catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe('Invalid API definition: Invalid API definition detail\n  /apis/0/basePath: must start with "/"');
    expect(refusing.seen[0]!.authorization).toBeUndefined();
  });

  it('names every URL and why when no controller answered', async () => {
    const [a, b] = [`http://127.0.0.1:${await freePort()}`, await controller(503, problem(503, 'Database unavailable'))];
    const err = await new DeployClient({ urls: [a, b.url], token: undefined }).request('GET', '/v1/status').catch((e: unknown) => e);
    // The last URL's 503 is the answer itself (nobody else to ask).
    expect(err).toBeInstanceOf(ApiError);
    const onlyDead = await new DeployClient({ urls: [a], token: undefined }).request('GET', '/v1/status').catch((e: unknown) => e);
    expect(onlyDead).toBeInstanceOf(CommandError);
    expect((onlyDead as Error).message).toBe(`no controller answered (${a}: ECONNREFUSED)`);
  });
});
