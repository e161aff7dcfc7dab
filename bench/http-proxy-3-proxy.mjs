// The floor for the runtime's forwarding library: http-proxy-3 alone, as the runtime sets
// it up (shared server, keep-alive agent, `toProxy`, `changeOrigin`, self-handled response
// piped on), with no routing, no header hygiene, no timers.
// Usage: node http-proxy-3-proxy.mjs <listen port> <target url>
import http from 'node:http';
import { createProxyServer } from 'http-proxy-3';

const [port, targetUrl] = [Number(process.argv[2]), new URL(process.argv[3])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 128 });
const target = { protocol: 'http:', host: targetUrl.hostname, hostname: targetUrl.hostname, port: Number(targetUrl.port) };
const proxy = createProxyServer({ changeOrigin: true, toProxy: true, selfHandleResponse: true });
proxy.on('proxyRes', (proxyRes, _req, res) => {
  res.writeHead(proxyRes.statusCode, proxyRes.headers);
  proxyRes.pipe(res);
});
proxy.on('error', (_err, _req, res) => {
  if (!res.headersSent) res.writeHead(502);
  res.end();
});
const options = { target, agent };

http.createServer((req, res) => proxy.web(req, res, options)).listen(port, '127.0.0.1', () => process.send?.('ready'));
