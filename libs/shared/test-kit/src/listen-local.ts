import type { AddressInfo, Server } from 'node:net';

/**
 * Starts `server` listening on 127.0.0.1 at a port the OS picks (no race with other
 * tests) and resolves with that port; rejects when it cannot listen.
 */
export function listenLocal(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
