import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeServer } from './close-server.js';

describe('closeServer', () => {
  it('closes an HTTP server whose request is still in flight, ending that connection', async () => {
    // The handler never answers: close() alone would wait for this connection forever.
    const server = createServer(() => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const arrived = once(server, 'request');
    const answered = new Promise<string>((resolve) => {
      request({ port, host: '127.0.0.1' }, () => resolve('response'))
        .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
        .end();
    });
    await arrived;
    await closeServer(server);
    expect(server.listening).toBe(false);
    expect(await answered).toBe('ECONNRESET');
  });

  it('resolves for a server that is not listening', async () => {
    await expect(closeServer(createServer())).resolves.toBeUndefined();
  });
});
