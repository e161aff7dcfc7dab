import { createServer, type Server } from 'node:http';
import type { JsonWebKey } from 'node:crypto';
import { closeServer } from '@gw/test-kit';

export interface JwksServer {
  /** `http://127.0.0.1:<port>/.well-known/jwks.json` */
  url: string;
  /** What the document lists from now on (a key rotation). */
  setKeys(keys: JsonWebKey[]): void;
  /** Documents served so far. */
  readonly fetches: number;
  close(): Promise<void>;
}

/** An identity provider's JWKS endpoint on a free 127.0.0.1 port, for key rotation tests. */
export async function startJwksServer(keys: JsonWebKey[]): Promise<JwksServer> {
  let current = keys;
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    const body = JSON.stringify({ keys: current });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    setKeys: (next) => {
      current = next;
    },
    get fetches() {
      return fetches;
    },
    close: () => closeServer(server),
  };
}
