import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeServer } from './close-server.js';
import { freePort } from './free-port.js';

describe('freePort', () => {
  it('hands out distinct ports that can be listened on', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    await closeServer(server);
  });
});
