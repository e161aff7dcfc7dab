import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer } from './close-server.js';
import { listenLocal } from './listen-local.js';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => closeServer(s)));
});

describe('listenLocal', () => {
  it('listens on 127.0.0.1 at the port it resolves with', async () => {
    const server = createServer((_req, res) => res.end('here'));
    servers.push(server);
    const port = await listenLocal(server);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('here');
  });

  it('rejects when the server cannot listen', async () => {
    const server = createServer();
    servers.push(server);
    await listenLocal(server);
    // Listening twice on one server is an error Node reports synchronously or as 'error'.
    await expect(listenLocal(server)).rejects.toThrow();
  });
});
