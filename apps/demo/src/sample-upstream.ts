// A sample upstream service: answers every request with JSON naming its zone, so traffic
// through the gateway shows where it went. Node built-ins only (it also runs as its own
// small container image; see deploy/Dockerfile, target sample-upstream).
//   UPSTREAM_ZONE (default "default"), UPSTREAM_NAME (default upstream-<zone>),
//   UPSTREAM_HOST (default 0.0.0.0), UPSTREAM_PORT (default 3000)
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const zone = process.env['UPSTREAM_ZONE'] || 'default';
const name = process.env['UPSTREAM_NAME'] || `upstream-${zone}`;
const host = process.env['UPSTREAM_HOST'] || '0.0.0.0';
const port = Number(process.env['UPSTREAM_PORT'] || 3000);
let served = 0;

const server = createServer((req, res) => {
  // Drain the body so keep-alive connections stay usable.
  req.resume();
  req.on('end', () => {
    served++;
    const body = JSON.stringify({
      upstream: name,
      zone,
      host: hostname(),
      method: req.method,
      path: req.url,
      requestId: req.headers['x-request-id'] ?? null,
      served,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;

server.listen(port, host, () => {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', app: 'sample-upstream', upstream: name, zone, port, msg: 'listening' }) + '\n');
});

function shutdown(): void {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => {
    server.closeAllConnections();
    process.exit(0);
  }, 2_000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
