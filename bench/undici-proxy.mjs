// The floor for the runtime's forwarding library: undici alone, as the runtime uses it
// (one Pool per origin, `dispatch` with a handler that writes the response straight to the
// client, backpressure by pause/resume), with no routing, no header hygiene, no timers.
// Usage: node undici-proxy.mjs <listen port> <target url>
import http from 'node:http';
import { Pool } from 'undici';

const [port, target] = [Number(process.argv[2]), process.argv[3]];
const pool = new Pool(target, { connections: 512, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, allowH2: false });

class Forward {
  constructor(res) {
    this.res = res;
    this.controller = null;
  }
  onRequestStart(controller) {
    this.controller = controller;
  }
  onResponseStart(_controller, status, headers) {
    if (status >= 200) this.res.writeHead(status, headers);
  }
  onResponseData(controller, chunk) {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }
  onResponseEnd() {
    this.res.end();
  }
  onResponseError(_controller, _err) {
    if (!this.res.headersSent) this.res.writeHead(502);
    this.res.end();
  }
}

http
  .createServer((req, res) => {
    const { host: _host, connection: _connection, ...headers } = req.headers;
    pool.dispatch({ path: req.url, method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req }, new Forward(res));
  })
  .listen(port, '127.0.0.1', () => process.send?.('ready'));
