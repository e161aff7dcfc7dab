// An upstream on this host that counts how often it executed each request (by its
// x-exec-id header) and holds each answer for `holdMs`, so a scenario can kill the runtime
// that forwarded it while the upstream is working on it. Runtimes reach it through the
// compose network's gateway address. The remote address tells which runtime forwarded it.
import { createServer } from 'node:http';

export async function startCountingUpstream({ holdMs = 4_000 } = {}) {
  const executed = new Map();
  const from = new Map();
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const id = String(req.headers['x-exec-id'] ?? '');
      if (req.method === 'GET' && req.url === '/health') return void res.end('ok');
      executed.set(id, (executed.get(id) ?? 0) + 1);
      from.set(id, req.socket.remoteAddress?.replace(/^::ffff:/, ''));
      const timer = setTimeout(() => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id, executions: executed.get(id) }));
      }, holdMs);
      res.on('close', () => clearTimeout(timer));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '0.0.0.0', resolve);
  });
  return {
    port: server.address().port,
    executions: (id) => executed.get(id) ?? 0,
    forwardedFrom: (id) => from.get(id),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(() => r()));
    },
  };
}
