import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer } from '@gw/test-kit';

export interface CountedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CountingUpstream {
  name: string;
  url: string;
  port: number;
  /** TCP connections accepted. */
  connections: number;
  /** Requests whose headers arrived (complete or not). */
  started: CountedRequest[];
  /** Requests that arrived complete (body included), in order. */
  completed: CountedRequest[];
  close(): Promise<void>;
}

/**
 * An upstream that counts everything that reaches it: connections, requests started and
 * requests completed. Answers `{ upstream, method, url }` as JSON, or hands requests under
 * `/custom` to `respond`. The hostile-HTTP specs assert on these counts.
 */
export async function startCountingUpstream(name: string, respond?: (req: IncomingMessage, res: ServerResponse) => void): Promise<CountingUpstream> {
  const up: CountingUpstream = { name, url: '', port: 0, connections: 0, started: [], completed: [], close: async () => undefined };
  const server = createServer((req, res) => {
    const rec: CountedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    up.started.push(rec);
    if (respond && req.url?.startsWith('/custom')) return respond(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rec.body = Buffer.concat(chunks).toString();
      up.completed.push(rec);
      const body = JSON.stringify({ upstream: name, method: rec.method, url: rec.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    req.on('error', () => undefined);
  });
  server.on('connection', () => up.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.port = (server.address() as { port: number }).port;
  up.url = `http://127.0.0.1:${up.port}`;
  up.close = () => closeServer(server);
  return up;
}
