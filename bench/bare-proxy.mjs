// The baseline the runtime is measured against: the least a Node proxy can do.
// `http.request` + `pipe` over a keep-alive agent, no routing, no header hygiene.
// Usage: node bare-proxy.mjs <listen port> <target url>
import http from 'node:http';

const [port, target] = [Number(process.argv[2]), new URL(process.argv[3])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 128 });

http
  .createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  })
  .listen(port, '127.0.0.1', () => process.send?.('ready'));
