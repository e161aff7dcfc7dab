import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';

/**
 * Stops `server` accepting and resolves once it has closed. An HTTP server's open
 * connections (idle keep-alive ones included) are ended too: close() alone would wait for
 * clients to hang up. A server that is not listening resolves at once.
 */
export function closeServer(server: HttpServer | NetServer): Promise<void> {
  if (!server.listening) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    return Promise.resolve();
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if ('closeAllConnections' in server) server.closeAllConnections();
  return closed;
}
