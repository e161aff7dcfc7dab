// The on-demand abuse suite (docs/slow-clients.md, "Abuse suite"): one runtime with its
// default settings behind which slow and hostile clients attack one API, while a
// well-behaved client uses the same API. For each attack it reports what the well-behaved
// client saw (success rate, p99), the runtime's peak RSS, whether the admin listener kept
// answering, and how long the attack's connections stayed open.
//
// Usage (from the repo root, after `npm run build`):
//   npm run test:abuse                 # every attack, 30 s each (~5 min)
//   ATTACK_S=10 ONLY=slow-body npm run test:abuse
//   RUNTIME_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' ONLY=slow-read npm run test:abuse   # profile the runtime
// Needs: slowhttptest (Debian package `slowhttptest`), prlimit (util-linux), PostgreSQL on
// 127.0.0.1:5432 (TEST_DATABASE_URL). Writes bench/results/abuse-<time>.json.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const ATTACK_S = Number(env.ATTACK_S ?? 30);
/** The runtime's descriptor limit: low enough that 20,000 connection attempts reach it. */
const RUNTIME_NOFILE = Number(env.RUNTIME_NOFILE ?? 8192);
/** Connection attempts of the flood: 20,000, or what this process's descriptor limit leaves room for. */
const FLOOD = Math.min(20_000, openFileLimit() - 500);
const ONLY = env.ONLY ? env.ONLY.split(',') : undefined;
/** Where the connection flood comes from: another loopback address than the well-behaved client's. */
const FLOOD_ADDRESS = env.FLOOD_ADDRESS ?? '127.0.0.2';
const GOALS = { successRate: 0.99, p99Ms: 500 };
/**
 * The runtime's Node flags as deployed (deploy/Dockerfile: --single-threaded-gc, like
 * bench/run.mjs and the tests); RUNTIME_NODE_FLAGS adds flags for experiments
 * (`--cpu-prof --cpu-prof-dir=/tmp/prof`, `--max-semi-space-size=16`).
 */
const RUNTIME_FLAGS = ['--single-threaded-gc', ...(env.RUNTIME_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
const children = [];
const cleanups = [];

async function main() {
  preflight();
  const work = mkdtempSync(path.join(tmpdir(), 'gw-abuse-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const [upPort, ctlHttp, ctlGrpc, rtPort, adminPort] = await freePorts(5);
  // The upstream runs in its own process: its work (2 GB of responses under slow-read) must
  // not slow down this process, whose event loop times the well-behaved client.
  const upstream = upstreamProcess(upPort);
  await upstream.start();
  cleanups.push(() => upstream.stop());
  // The second target of /flaky: its own process too, killed five times by the upstream-kills attack.
  const [victimPort] = await freePorts(1);
  const victim = upstreamProcess(victimPort);
  await victim.start();
  cleanups.push(() => victim.stop());

  const { createTempDatabase } = await import(path.join(ROOT, 'libs/controller/store/dist/testing/index.js'));
  const db = await createTempDatabase();
  cleanups.push(() => db.drop());
  const token = 'abuse-token';
  start('controller', process.execPath, [path.join(ROOT, 'apps/controller/dist/main.js')], {
    DATABASE_URL: db.url,
    CONTROLLER_ID: 'ctl-abuse',
    CONTROLLER_HOST: '127.0.0.1',
    CONTROLLER_HTTP_PORT: String(ctlHttp),
    CONTROLLER_GRPC_PORT: String(ctlGrpc),
    ADMIN_TOKEN: token,
    CONFIG_INSECURE: 'true',
    LOG_LEVEL: 'warn',
  });
  await waitHttp(`http://127.0.0.1:${ctlHttp}/health/live`);
  for (const definition of [
    { name: 'shop', basePath: '/api', upstream: { targets: [{ url: `http://127.0.0.1:${upPort}` }] } },
    {
      name: 'pay',
      basePath: '/pay',
      upstream: { targets: [{ url: `http://127.0.0.1:${upPort}` }] },
      policies: { idempotency: {} },
    },
    // Two targets, one of them killed and restarted under load (upstream-kills), all defaults:
    // the first kill ejects it (outlier detection, 30 s), so later kills hit a target no
    // request goes to…
    { name: 'flaky', basePath: '/flaky', upstream: { targets: [{ url: `http://127.0.0.1:${upPort}` }, { url: `http://127.0.0.1:${victimPort}` }] } },
    // …and the same without outlier detection (upstream-kills-in-rotation): every kill hits a
    // target in rotation, and only the default retries absorb it.
    {
      name: 'flaky-no-outlier',
      basePath: '/flaky-no-outlier',
      upstream: { targets: [{ url: `http://127.0.0.1:${upPort}` }, { url: `http://127.0.0.1:${victimPort}` }], outlierDetection: null },
    },
  ]) {
    const put = await fetch(`http://127.0.0.1:${ctlHttp}/v1/apis/${definition.name}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(definition),
    });
    if (!put.ok) throw new Error(`deploy ${definition.name} failed: ${put.status} ${await put.text()}`);
  }
  // A fresh runtime per attack (its peak RSS is the attack's), with its default settings, at
  // a descriptor limit the connection attack can reach.
  const startRuntime = async () => {
    const rt = start('runtime', 'prlimit', [`--nofile=${RUNTIME_NOFILE}:${RUNTIME_NOFILE}`, process.execPath, ...RUNTIME_FLAGS, path.join(ROOT, 'apps/runtime/dist/main.js')], {
      RUNTIME_ID: 'rt-abuse',
      CONFIG_INSECURE: 'true',
      CONTROLLER_ADDRESSES: `127.0.0.1:${ctlGrpc}`,
      RUNTIME_HOST: '127.0.0.1',
      RUNTIME_ADMIN_HOST: '127.0.0.1',
      RUNTIME_HTTP_PORT: String(rtPort),
      RUNTIME_ADMIN_PORT: String(adminPort),
      DRAIN_GRACE_MS: '0',
      SHUTDOWN_GRACE_MS: '1000',
    });
    await waitHttp(`http://127.0.0.1:${adminPort}/health/ready`);
    await waitHttp(`http://127.0.0.1:${rtPort}/api/small`);
    return rt;
  };
  const base = `http://127.0.0.1:${rtPort}`;
  const admin = `http://127.0.0.1:${adminPort}`;

  // 2,000 connections reading 1 MiB responses (three pipelined each) through a 64–128 byte window, 32 bytes every 5 s.
  const slowRead = ['-X', '-c', '2000', '-r', '500', '-w', '64', '-y', '128', '-n', '5', '-z', '32', '-k', '3', '-u', `${base}/api/big`];
  const attacks = {
    // No attack: what the well-behaved client sees on this machine as it is (its load), to read the others against.
    none: async () => (await new Promise((r) => setTimeout(r, ATTACK_S * 1000)), {}),
    'slow-headers': () => slowhttptest(['-H', '-c', '2000', '-r', '500', '-i', '5', '-u', `${base}/api/small`], work, 'slow-headers'),
    'slow-body': () => slowhttptest(['-B', '-c', '2000', '-r', '500', '-i', '5', '-s', '8192', '-u', `${base}/api/small`], work, 'slow-body'),
    'slow-read': () => slowhttptest(slowRead, work, 'slow-read'),
    // Idempotent uploads (hashed whole, so they need the memory budget) sent while 2,000 slow
    // readers hold the response side of it: they must still be accepted (REQUEST_RESERVE_SHARE).
    'slow-read+idempotent-uploads': async () => {
      const attack = slowhttptest(slowRead, work, 'slow-read+idempotent-uploads');
      // Once the slow readers have connected (the ramp takes ~4 s at 500 a second).
      await new Promise((r) => setTimeout(r, Math.min(8, ATTACK_S / 2) * 1000));
      const uploads = await idempotentUploads(base, 40, 4, 1024 * 1024);
      return { ...(await attack), uploads };
    },
    // As many attempts as this process's own descriptor limit allows (20,000 when it can).
    connections: () => connectionFlood(rtPort, FLOOD),
    'idempotent-uploads': () => tricklingUploads(rtPort, 200, 9 * 1024 * 1024),
    'upstream-kills': () => upstreamKills(victim, `${base}/flaky/small`),
    'upstream-kills-in-rotation': () => upstreamKills(victim, `${base}/flaky-no-outlier/small`),
  };
  // What the well-behaved client uses during each attack: the attacked API.
  const probePath = { 'slow-read+idempotent-uploads': '/api/small', 'upstream-kills': '/flaky/small', 'upstream-kills-in-rotation': '/flaky-no-outlier/small' };
  const results = [];
  for (const [name, attack] of Object.entries(attacks)) {
    if (ONLY && !ONLY.includes(name)) continue;
    const rt = await startRuntime();
    const baselineRss = rssOf(rt.child.pid);
    log(`attack ${name}: ${ATTACK_S} s`);
    const linesBefore = rt.lines;
    const probe = wellBehavedClient(`${base}${probePath[name] ?? '/api/small'}`);
    const adminWatch = watchAdmin(admin);
    const rss = watchRss(rt.child.pid);
    const outcome = await attack();
    const seen = await probe.stop();
    const adminSeen = adminWatch.stop();
    const atPeak = adminWatch.peak();
    // Log lines the runtime wrote during the attack (a storm must not become a log flood).
    // The machine's 1-minute load average at the end: a shared machine's load shows in every p99.
    // RSS in MiB (/proc reports KiB), and its goal: the baseline plus BUFFER_MEMORY_BYTES as the runtime reports it.
    const baselineRssMib = Math.round(baselineRss / 1024);
    const rssGoalMib = baselineRssMib + Math.round(adminWatch.bufferLimitBytes() / 2 ** 20);
    results.push({ attack: name, runtimeFlags: RUNTIME_FLAGS.join(' '), wellBehaved: seen, baselineRssMib, peakRssMib: Math.round(rss.stop() / 1024), rssGoalMib, admin: adminSeen, atPeakConnections: atPeak, attackers: outcome, runtimeLogLines: rt.lines - linesBefore, loadAverage: Number(loadavg()[0].toFixed(1)) });
    log(JSON.stringify(results.at(-1)));
    await stop(rt);
  }
  const report = { when: new Date().toISOString(), attackSeconds: ATTACK_S, runtimeNofile: RUNTIME_NOFILE, goals: GOALS, results };
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `abuse-${report.when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  printTable(report);
  log(`written ${path.relative(ROOT, file)}`);
  // slow-read+idempotent-uploads: every upload must be accepted too.
  // (idempotent-uploads alone reports `uploads` as a count: there 503s beyond the budget are the point.)
  const uploadsRefused = (r) => typeof r.attackers.uploads === 'object' && r.attackers.uploads.answered['200'] !== r.attackers.uploads.uploads;
  const failed = results.filter((r) => r.wellBehaved.successRate < GOALS.successRate || r.wellBehaved.p99Ms > GOALS.p99Ms || r.admin.failures > 0 || uploadsRefused(r) || !(r.peakRssMib <= r.rssGoalMib));
  process.exitCode = failed.length === 0 ? 0 : 1;
}

function openFileLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
  return Number.isFinite(soft) ? soft : 20_000;
}

function preflight() {
  for (const tool of ['slowhttptest', 'prlimit']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is not installed (Debian: apt-get install ${tool === 'prlimit' ? 'util-linux' : tool})`);
    }
  }
  for (const f of ['apps/runtime/dist/main.js', 'apps/controller/dist/main.js']) {
    try {
      readFileSync(path.join(ROOT, f));
    } catch {
      throw new Error(`${f} is missing: run npm run build first`);
    }
  }
}

/** A keep-alive client on the attacked API, 20 (`workers`) requests at a time in a loop: success rate and p99. */
function wellBehavedClient(url, workers = 20) {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const latencies = [];
  // The slowest request of each second (by when it started): where in the attack the latency was.
  const startedAt = performance.now();
  const slowestPerSecond = [];
  const note = (started) => {
    const ms = performance.now() - started;
    latencies.push(ms);
    const second = Math.floor((started - startedAt) / 1000);
    slowestPerSecond[second] = Math.max(slowestPerSecond[second] ?? 0, Math.round(ms));
  };
  let ok = 0;
  let failed = 0;
  // What the failures were: a status, or `timeout`/`error`.
  const failures = {};
  let running = true;
  const one = () =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = request(url, { agent, timeout: 5_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          note(started);
          if (res.statusCode === 200) ok++;
          else {
            failed++;
            failures[res.statusCode] = (failures[res.statusCode] ?? 0) + 1;
          }
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        note(started);
        failed++;
        const kind = err.message === 'timeout' ? 'timeout' : 'error';
        failures[kind] = (failures[kind] ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      await one();
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const total = ok + failed;
      return {
        requests: total,
        successRate: total === 0 ? 0 : Number((ok / total).toFixed(4)),
        p99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
        failures,
        slowestPerSecondMs: Array.from(slowestPerSecond, (v) => v ?? 0),
      };
    },
  };
}

/**
 * What the runtime's memory was made of at the scrape with the most client connections
 * (the attack's height), in MB: RSS, Buffers (external), the V8 heap committed and used,
 * and what the buffer budget counted.
 */
const PEAK_FIGURES = {
  connections: 'gateway_client_connections',
  rssMb: 'process_resident_memory_bytes',
  externalMb: 'nodejs_external_memory_bytes',
  heapTotalMb: 'nodejs_heap_size_total_bytes',
  heapUsedMb: 'nodejs_heap_size_used_bytes',
  bufferMemoryMb: 'gateway_buffer_memory_bytes',
  bufferDiskMb: 'gateway_buffer_disk_bytes',
  bufferLimitBytes: 'gateway_buffer_memory_limit_bytes',
};

function figuresOf(text) {
  const out = {};
  for (const [key, metric] of Object.entries(PEAK_FIGURES)) {
    const m = new RegExp(`^${metric} (\\S+)$`, 'm').exec(text);
    if (m) out[key] = key.endsWith('Mb') ? Math.round(Number(m[1]) / 1e6) : Number(m[1]);
  }
  return out;
}

/** GET /metrics every 500 ms with a 2 s timeout: how often the admin listener did not answer. */
function watchAdmin(admin) {
  let asked = 0;
  let failures = 0;
  let worst = 0;
  let peak = {};
  const timer = setInterval(async () => {
    asked++;
    const started = performance.now();
    try {
      const res = await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(2_000) });
      const text = await res.text();
      // ABUSE_LOG_DIR: the last scrape, to see what a miss was.
      if (env.ABUSE_LOG_DIR) writeFileSync(path.join(env.ABUSE_LOG_DIR, 'metrics.txt'), text);
      const figures = figuresOf(text);
      if ((figures.connections ?? 0) >= (peak.connections ?? 0)) {
        peak = figures;
        if (env.ABUSE_LOG_DIR) writeFileSync(path.join(env.ABUSE_LOG_DIR, 'metrics-peak.txt'), text);
      }
      if (!res.ok) failures++;
    } catch {
      failures++;
    }
    worst = Math.max(worst, performance.now() - started);
  }, 500);
  return {
    stop: () => (clearInterval(timer), { asked, failures, slowestMs: Math.round(worst) }),
    peak: () => peak,
    // BUFFER_MEMORY_BYTES as the runtime reports it (NaN, failing the RSS goal, if no scrape answered).
    bufferLimitBytes: () => peak.bufferLimitBytes ?? NaN,
  };
}

function rssOf(pid) {
  // prlimit execs node: the runtime is this pid.
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function watchRss(pid) {
  let peak = rssOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 250);
  return { stop: () => (clearInterval(timer), peak) };
}

/**
 * slowhttptest for ATTACK_S seconds with its per-second statistics; reports the peak of
 * attack connections held open and how many were still open at the end (the runtime cut
 * the rest), from its CSV (seconds, closed, pending, connected, service available).
 */
async function slowhttptest(args, work, name) {
  const prefix = path.join(work, name);
  const child = spawn('slowhttptest', [...args, '-l', String(ATTACK_S), '-g', '-o', prefix, '-p', '3'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  const rows = readFileSync(`${prefix}.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  const connected = rows.map((r) => r[3]);
  const peak = Math.max(0, ...connected);
  const peakAt = connected.indexOf(peak);
  const cutAt = connected.findIndex((c, i) => i > peakAt && c <= peak * 0.1);
  // slowhttptest opens replacements as the server closes its connections: `closed` is what the runtime cut.
  return { peakConnected: peak, connectedAtEnd: connected.at(-1) ?? 0, closedByRuntime: rows.at(-1)?.[1] ?? 0, secondsUntilBelow10Percent: cutAt === -1 ? null : cutAt - peakAt };
}

/**
 * `count` connections opened as fast as possible and held: how many the runtime refused or
 * closed. They come from 127.0.0.2 (`FLOOD_ADDRESS`), another client address than the
 * well-behaved client's 127.0.0.1: a flood from the very address of a well-behaved client
 * cannot be told apart from it by any gateway; one from another address must not deny it
 * service (MAX_CONNECTIONS_PER_ADDRESS).
 */
async function connectionFlood(port, count) {
  const sockets = [];
  let refused = 0;
  let connected = 0;
  for (let i = 0; i < count; i++) {
    const s = connect({ port, host: '127.0.0.1', localAddress: FLOOD_ADDRESS });
    s.on('connect', () => connected++);
    s.on('error', () => undefined);
    s.on('close', () => refused++);
    sockets.push(s);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, ATTACK_S * 1000));
  const open = sockets.filter((s) => !s.destroyed).length;
  for (const s of sockets) s.destroy();
  return { attempts: count, connected, closedByRuntime: refused, stillOpen: open };
}

/** `count` idempotent uploads of `bytes` each, trickling 1 KiB a second: what the buffer budget answered. */
async function tricklingUploads(port, count, bytes) {
  const statuses = {};
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    let head = '';
    s.on('data', (c) => {
      if (head === '') {
        head = c.toString('latin1', 0, 12);
        const status = head.slice(9, 12);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    });
    s.write(`POST /pay/orders HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nIdempotency-Key: abuse-${i}-${Date.now()}\r\nContent-Length: ${bytes}\r\n\r\n`);
    sockets.push(s);
  }
  const chunk = Buffer.alloc(1024, 'x');
  const timer = setInterval(() => {
    for (const s of sockets) if (s.writable) s.write(chunk);
  }, 1_000);
  await new Promise((r) => setTimeout(r, ATTACK_S * 1000));
  clearInterval(timer);
  const open = sockets.filter((s) => !s.destroyed).length;
  for (const s of sockets) s.destroy();
  return { uploads: count, answered: statuses, stillOpen: open };
}

/**
 * `count` idempotent uploads of `bytes` each to /pay, `parallel` at a time, sent at full
 * speed (5 s timeout each): what the runtime answered, by status.
 */
async function idempotentUploads(base, count, parallel, bytes) {
  const body = Buffer.alloc(bytes, 'u');
  const statuses = {};
  let next = 0;
  const one = (i) =>
    new Promise((resolve) => {
      const req = request(`${base}/pay/orders`, { method: 'POST', timeout: 5_000, headers: { 'content-type': 'application/json', 'content-length': bytes, 'idempotency-key': `both-${i}-${Date.now()}` } }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        const kind = err.message === 'timeout' ? 'timeout' : 'error';
        statuses[kind] = (statuses[kind] ?? 0) + 1;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await one(next++);
  }));
  return { uploads: count, bytes, answered: statuses };
}

/**
 * An upstream in its own process (so it can be SIGKILLed, and its work is not this
 * process's) on a fixed port: /big answers 1 MiB; anything else a short JSON answer with
 * the body's length once read.
 */
function upstreamProcess(port) {
  const script = `
    const big = Buffer.alloc(1024 * 1024, 'b');
    const s = require('node:http').createServer((req, res) => {
      if (req.url.endsWith('/big')) return res.writeHead(200, { 'content-length': big.length }).end(big);
      let n = 0;
      req.on('data', (c) => (n += c.length));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, bytes: n })));
    });
    s.keepAliveTimeout = 120000;
    s.listen(${port}, '127.0.0.1', () => process.stdout.write('up\\n'));`;
  let child;
  return {
    async start() {
      child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve, reject) => {
        child.stdout.once('data', resolve);
        child.once('exit', (code) => reject(new Error(`victim upstream exited (${code})`)));
      });
    },
    /** SIGKILL: its connections are reset mid-request, new ones refused until it is back. */
    async kill() {
      const c = child;
      c.kill('SIGKILL');
      await new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r)));
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) await this.kill();
    },
  };
}

/**
 * One of /flaky's two targets is SIGKILLed five times during the attack, each time down
 * for 3 s (the log-flood probe of issue 15), then started again, while 50 more keep-alive
 * workers load the same API (the well-behaved client is the 20 measured ones).
 */
async function upstreamKills(victim, url) {
  const load = wellBehavedClient(url, 50);
  const kills = 5;
  const downMs = 3_000;
  const gapMs = Math.max(500, (ATTACK_S * 1000) / kills - downMs);
  const downtimes = [];
  for (let i = 0; i < kills; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    const killedAt = performance.now();
    await victim.kill();
    await new Promise((r) => setTimeout(r, downMs));
    await victim.start();
    downtimes.push(Math.round(performance.now() - killedAt));
  }
  const loadSeen = await load.stop();
  return { kills, downtimesMs: downtimes, load: loadSeen };
}

function printTable(report) {
  const rows = report.results.map((r) =>
    [r.attack, `${(r.wellBehaved.successRate * 100).toFixed(2)} %`, `${r.wellBehaved.p99Ms} ms`, `${r.baselineRssMib} → ${r.peakRssMib} MiB (${r.rssGoalMib})`, `${r.admin.failures}/${r.admin.asked}`, r.runtimeLogLines, r.loadAverage, JSON.stringify(r.attackers)].join(' | '),
  );
  console.log('\ngoals: success ≥ 99 %, p99 < 500 ms, admin always answers, peak RSS ≤ start + BUFFER_MEMORY_BYTES (slow-read+idempotent-uploads: every upload accepted)\n');
  console.log('attack | well-behaved success | p99 | RSS at start → peak (goal) | admin failures | runtime log lines | load average | attackers');
  console.log('--- | --- | --- | --- | --- | --- | --- | ---');
  for (const row of rows) console.log(row);
}

async function stop(entry) {
  if (entry.child.exitCode !== null) return;
  entry.child.kill('SIGTERM');
  await new Promise((r) => entry.child.once('exit', r));
}

function start(name, command, args, childEnv) {
  // ABUSE_LOG_DIR: each child's stdout (its JSON log lines) to <dir>/<name>.log, to see what a miss was.
  const out = env.ABUSE_LOG_DIR ? openSync(path.join(env.ABUSE_LOG_DIR, `${name}.log`), 'a') : undefined;
  const child = spawn(command, args, { env: { ...process.env, ...childEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
  const entry = { name, child, lines: 0 };
  // Its log lines are counted (per attack), and kept when asked.
  child.stdout.on('data', (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) entry.lines++;
    if (out !== undefined) writeSync(out, chunk);
  });
  children.push(entry);
  return entry;
}

async function waitHttp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.text();
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => { const s = createNetServer(); s.listen(0, '127.0.0.1', () => resolve(s)); })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function log(msg) {
  console.log(`[abuse] ${msg}`);
}

async function cleanup() {
  for (const { child } of children.reverse()) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => { const t = setTimeout(() => (child.kill('SIGKILL'), r()), 5_000); child.once('exit', () => (clearTimeout(t), r())); });
    }
  }
  for (const c of cleanups.reverse()) await c();
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
