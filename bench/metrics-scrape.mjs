// What one /metrics scrape of Node's process metrics costs the event loop with many open
// sockets: prom-client's defaults as they come (`collectDefaultMetrics`) against the
// gateway's set (`collectProcessMetrics`: /proc read asynchronously, no per-handle walk),
// alternated A/B in one process, so both see the same sockets and the same machine load.
// Per scrape: the longest synchronous stretch (the loop is blocked: measured as the largest
// gap between the stretches of the scrape, from the scrape's own start and promise ticks)
// and the process CPU time (user + system) it took.
//
// Usage (from the repo root, after `npm run build`):
//   node bench/metrics-scrape.mjs                 # 4,000 socket pairs (8,000 descriptors), 10 rounds
//   PAIRS=9000 ROUNDS=20 node bench/metrics-scrape.mjs
// Needs a descriptor limit above 2 × PAIRS (`ulimit -n`).
import { createServer, connect } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { collectProcessMetrics } from '../libs/shared/app-kit/dist/process-metrics.js';

const PAIRS = Number(process.env.PAIRS ?? 4_000);
const ROUNDS = Number(process.env.ROUNDS ?? 10);

/** PAIRS loopback connections, both ends in this process (2 descriptors and 2 handles each). */
async function openSockets() {
  const accepted = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const clients = [];
  for (let i = 0; i < PAIRS; i += 200) {
    const batch = Array.from({ length: Math.min(200, PAIRS - i) }, () => connect(port, '127.0.0.1'));
    await Promise.all(batch.map((s) => new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject))));
    clients.push(...batch);
  }
  for (let i = 0; i < 200 && accepted.length < PAIRS; i++) await new Promise((r) => setTimeout(r, 10));
  return { server, clients, accepted };
}

/**
 * One scrape: the longest stretch the loop could not run anything else, found by a
 * setImmediate ticker that notes the time between its turns, and the CPU time spent.
 */
async function scrape(registry) {
  let longest = 0;
  let last = performance.now();
  let ticking = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (ticking) setImmediate(tick);
  };
  const cpu = process.cpuUsage();
  last = performance.now();
  setImmediate(tick);
  const text = await registry.metrics();
  const used = process.cpuUsage(cpu);
  ticking = false;
  longest = Math.max(longest, performance.now() - last);
  return { blockedMs: longest, cpuMs: (used.user + used.system) / 1000, bytes: text.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs) => Math.max(...xs);
const r1 = (x) => Math.round(x * 10) / 10;

async function main() {
  const stock = new Registry();
  collectDefaultMetrics({ register: stock });
  const ours = new Registry();
  collectProcessMetrics(ours);
  const sockets = await openSockets();
  const handles = process.getActiveResourcesInfo().length;
  console.log(`${PAIRS} socket pairs, ${handles} active resources, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const results = { stock: [], ours: [] };
  await scrape(stock);
  await scrape(ours);
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first: neither always scrapes right after the other.
    const order = i % 2 === 0 ? ['stock', 'ours'] : ['ours', 'stock'];
    for (const name of order) results[name].push(await scrape(name === 'stock' ? stock : ours));
  }
  for (const [name, rs] of Object.entries(results)) {
    const blocked = rs.map((r) => r.blockedMs);
    const cpu = rs.map((r) => r.cpuMs);
    console.log(
      `${name === 'stock' ? 'prom-client defaults' : 'collectProcessMetrics'}: loop blocked median ${r1(median(blocked))} ms (max ${r1(max(blocked))}), CPU median ${r1(median(cpu))} ms (max ${r1(max(cpu))})`,
    );
  }
  for (const s of [...sockets.clients, ...sockets.accepted]) s.destroy();
  sockets.server.close();
}

await main();
