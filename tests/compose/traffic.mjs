// Steady keep-alive client traffic through the load balancer: a few workers, each sending
// its next GET when the last one answered (after a short pause). Bounded in count and time:
// the loop stops by itself at maxRequests or maxMs. Every outcome is kept (time, status or
// error, which upstream zone answered) so a scenario can read any window of it.
import { Agent, request } from 'node:http';

export function startTraffic({ url, concurrency = 8, pauseMs = 20, maxRequests = 400_000, maxMs = 20 * 60_000, timeoutMs = 10_000 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const started = Date.now();
  const events = [];
  let running = true;
  let stoppedBy = 'caller';
  // A GET sent on a kept-alive connection that the other side closed at that moment fails
  // before any answer (ECONNRESET): Node's documented pattern (http.ClientRequest
  // `reusedSocket`), and what browsers, Go's net/http and curl do for idempotent requests,
  // is to send it once more on a new connection. Counted apart (`reusedRetries`), never as
  // a success the gateway did not give: an error on a fresh connection, or after the
  // response began, stays a failure.
  const one = (at = Date.now(), retried = false) =>
    new Promise((resolve) => {
      const req = request(url, { agent, timeout: timeoutMs }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', (e) => resolve({ at, end: Date.now(), error: e.code ?? e.message }));
        res.on('end', () => {
          let zone;
          try {
            zone = JSON.parse(Buffer.concat(chunks).toString()).zone;
          } catch {}
          resolve({ at, end: Date.now(), status: res.statusCode, zone, retried, body: res.statusCode === 200 ? undefined : Buffer.concat(chunks).toString().slice(0, 300) });
        });
      });
      let answered = false;
      req.on('response', () => (answered = true));
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e) => {
        if (!answered && !retried && req.reusedSocket && e.code === 'ECONNRESET') resolve(one(at, true));
        // Whether the connection was a kept-alive one and whether the answer had begun: what tells a reset race from a lost answer.
        else resolve({ at, end: Date.now(), error: e.code ?? e.message, retried, reused: req.reusedSocket, answered });
      });
      req.end();
    });
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) {
      if (events.length >= maxRequests) {
        stoppedBy = 'maxRequests';
        running = false;
        break;
      }
      if (Date.now() - started > maxMs) {
        stoppedBy = 'maxMs';
        running = false;
        break;
      }
      events.push(await one());
      if (pauseMs > 0 && running) await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    get count() {
      return events.length;
    },
    get running() {
      return running;
    },
    /** Outcomes of requests that ended in [from, to) (ms since epoch). */
    window(from, to = Date.now()) {
      const w = events.filter((e) => e.end >= from && e.end < to);
      const failed = w.filter((e) => e.status !== 200);
      const zones = {};
      for (const e of w) if (e.zone) zones[e.zone] = (zones[e.zone] ?? 0) + 1;
      const latencies = w.map((e) => e.end - e.at).sort((a, b) => a - b);
      return { requests: w.length, failed: failed.length, failures: failed.slice(0, 10), reusedRetries: w.filter((e) => e.retried).length, zones, maxLatencyMs: latencies.at(-1) ?? 0, lastAnsweredBy: (zone) => w.filter((e) => e.zone === zone).at(-1)?.end };
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return { requests: events.length, stoppedBy, durationMs: Date.now() - started };
    },
  };
}
