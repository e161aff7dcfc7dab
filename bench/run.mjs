// The on-demand benchmark (docs/benchmarks.md): requests/s and CPU per request through the
// runtime, side by side in one run with nginx (the native reference), a bare Node proxy,
// fast-gateway, http-proxy-3 alone and undici alone (the two forwarding libraries), all in
// front of the same nginx upstream; the latency each adds at one connection; the
// route-match cost at 10, 1,000 and 10,000 APIs.
//
// Pinning on a 2-core machine: wrk and the upstream nginx on CPU 0, the proxy under test on
// CPU 1 (each proxy alone there while it is measured; the others sit idle). Latency at one
// connection is measured twice: as pinned (split cores), and with the proxy moved to CPU 0
// beside the client and the upstream (one core), which leaves out the VM's cross-core
// wake-up delays (see docs/benchmarks.md, "Latency").
//
// Usage (from the repo root, after `npm run build` and `npm install` in bench/):
//   npm run bench                  # 5 rounds (~15 min), then writes bench/results/<time>.json
//   ROUNDS=1 DURATION=5 npm run bench
//   PROFILE=1 npm run bench        # also writes a V8 CPU profile of the runtime (bench/results/*.cpuprofile)
//   BASELINE=../gw-before npm run bench   # also measures the runtime of another checkout (built, with
//                                  # `npm ci` done) in the same rotation: "gateway runtime (baseline)"
//   BASELINE=. BASELINE_NODE_FLAGS= RUNTIME_NODE_FLAGS=--max-semi-space-size=2 npm run bench
//                                  # this build twice, with and without a Node flag, in the same rotation
//   BASELINE=. RUNTIME_ENV=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536 BASELINE_ENV= npm run bench
//                                  # the same with and without an environment variable (RUNTIME_ENV: this build's)
//   ONLY=undici,runtime,baseline   # a subset (nginx, bare and fast-gateway give the other ratios)
//   node bench/run.mjs --report bench/results/<time>.json   # the tables of an earlier run again
// Needs: nginx (Debian nginx-light), wrk, taskset, PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_URL).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { envOverrides } from './lib/env-overrides.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const env = process.env;
const config = {
  rounds: Number(env.ROUNDS ?? 5),
  durationS: Number(env.DURATION ?? 8),
  warmupS: Number(env.WARMUP ?? 3),
  latencyDurationS: Number(env.LATENCY_DURATION ?? 5),
  latencyWarmupS: Number(env.LATENCY_WARMUP ?? 2),
  connections: Number(env.CONNECTIONS ?? 64),
  threads: Number(env.THREADS ?? 2),
  profile: env.PROFILE === '1',
};
/** ~100 bytes, the body the performance notes measured with. */
const BODY = '{"id":12345,"name":"benchmark item","price":9.99,"tags":["a","b","c"],"inStock":true,"qty":42}';

const children = [];
/** Where every started process writes its output (set in main). */
let logDir;
const cleanups = [];
let exiting = false;

async function main() {
  preflight();
  const work = mkdtempSync(path.join(tmpdir(), 'gw-bench-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const resultsDir = path.join(BENCH, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  logDir = path.join(resultsDir, `${stamp}-logs`);
  mkdirSync(logDir, { recursive: true });

  // --- upstream: nginx, one worker, two ports (two targets for the runtime's balancer)
  const [upA, upB, nginxProxyPort, barePort, fgPort, rtPort, rtAdminPort, ctlHttp, ctlGrpc, hp3Port, undiciPort, baseRtPort, baseAdminPort, baseCtlHttp, baseCtlGrpc] = await freePorts(15);
  await startNginx(work, 'upstream', 0, upstreamConfig(work, [upA, upB]));
  log(`machine: ${JSON.stringify(machineFacts())}; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const target = `http://127.0.0.1:${upA}`;
  await waitHttp(`${target}/x`);

  // --- proxies on CPU 1
  const nginxProxy = await startNginx(work, 'proxy', 1, proxyConfig(work, nginxProxyPort, upA));
  const bare = startPinned('bare-node', 1, NODE, [path.join(BENCH, 'bare-proxy.mjs'), String(barePort), target]);
  const fastGateway = startPinned('fast-gateway', 1, NODE, [path.join(BENCH, 'fast-gateway.mjs'), String(fgPort), target]);
  const httpProxy3 = startPinned('http-proxy-3', 1, NODE, [path.join(BENCH, 'http-proxy-3-proxy.mjs'), String(hp3Port), target]);
  const undici = startPinned('undici', 1, NODE, [path.join(BENCH, 'undici-proxy.mjs'), String(undiciPort), target]);
  const runtime = await startGatewayRuntime({ root: ROOT, name: 'runtime', flags: env.RUNTIME_NODE_FLAGS, processEnv: envOverrides(env.RUNTIME_ENV), work, rtPort, rtAdminPort, ctlHttp, ctlGrpc, upA, upB, resultsDir, stamp });
  // Another checkout's runtime (BASELINE=<dir>), for "not slower than before" in one run.
  const baselineRoot = env.BASELINE ? path.resolve(env.BASELINE) : undefined;
  const baseline = baselineRoot
    ? await startGatewayRuntime({ root: baselineRoot, name: 'baseline', flags: env.BASELINE_NODE_FLAGS ?? env.RUNTIME_NODE_FLAGS, processEnv: envOverrides(env.BASELINE_ENV ?? env.RUNTIME_ENV), work: path.join(work, 'baseline'), rtPort: baseRtPort, rtAdminPort: baseAdminPort, ctlHttp: baseCtlHttp, ctlGrpc: baseCtlGrpc, upA, upB, resultsDir, stamp })
    : undefined;
  for (const port of [nginxProxyPort, barePort, fgPort, hp3Port, undiciPort, rtPort, ...(baseline ? [baseRtPort] : [])]) await waitHttp(`http://127.0.0.1:${port}/api/x`);

  const allSubjects = [
    { name: 'nginx (upstream, direct)', key: 'direct', url: `${target}/api/x` },
    { name: 'nginx proxy', key: 'nginx', url: `http://127.0.0.1:${nginxProxyPort}/api/x`, pid: nginxProxy.child.pid },
    { name: 'bare Node proxy', key: 'bare', url: `http://127.0.0.1:${barePort}/api/x`, pid: bare.child.pid },
    { name: 'fast-gateway 5.0.1', key: 'fastGateway', url: `http://127.0.0.1:${fgPort}/api/x`, pid: fastGateway.child.pid },
    { name: 'http-proxy-3 alone', key: 'httpProxy3', url: `http://127.0.0.1:${hp3Port}/api/x`, pid: httpProxy3.child.pid },
    { name: 'undici alone', key: 'undici', url: `http://127.0.0.1:${undiciPort}/api/x`, pid: undici.child.pid },
    { name: `gateway runtime${runtime.flags ? ` ${runtime.flags}` : ''}${runtime.envChanges ? ` ${runtime.envChanges}` : ''}`, key: 'runtime', url: `http://127.0.0.1:${rtPort}/api/x`, pid: runtime.pid },
    ...(baseline ? [{ name: `gateway runtime (baseline ${baseline.commit}${baseline.flags ? ` ${baseline.flags}` : ''}${baseline.envChanges ? ` ${baseline.envChanges}` : ''})`, key: 'baseline', url: `http://127.0.0.1:${baseRtPort}/api/x`, pid: baseline.pid }] : []),
  ];
  // ONLY=bare,runtime measures a subset (the ratios need nginx, bare and fastGateway).
  const only = env.ONLY ? new Set(['direct', ...env.ONLY.split(',')]) : undefined;
  const subjects = only ? allSubjects.filter((s) => only.has(s.key)) : allSubjects;
  // Everything answers what the upstream answers.
  for (const s of subjects) {
    const body = await (await fetch(s.url)).text();
    if (body !== BODY) throw new Error(`${s.name} answered ${JSON.stringify(body.slice(0, 200))}`);
  }

  const raw = Object.fromEntries(subjects.map((s) => [s.key, { throughput: [], single: [], singleSplit: [] }]));
  for (let round = 0; round < config.rounds; round++) {
    // Rotate the order each round so drift (thermal, noisy neighbours) spreads evenly.
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
    for (const s of order) {
      const label = `round ${round + 1} ${s.name.padEnd(26)}`;
      // The direct row is the latency baseline only: wrk and nginx share CPU 0 there.
      if (s.key !== 'direct') {
        wrk(s.url, config.threads, config.connections, config.warmupS);
        const r = wrk(s.url, config.threads, config.connections, config.durationS, s.pid);
        raw[s.key].throughput.push(r);
        log(`${label} ${config.connections} conns: ${fmt(r.rps)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  ${r.cpuUsPerRequest} CPU µs/req${r.errors ? `  ERRORS ${r.errors}` : ''}`);
        // One connection, the proxy still on CPU 1: every request crosses cores four times.
        latency(s.url, 1);
        const split = latency(s.url, config.latencyDurationS);
        raw[s.key].singleSplit.push(split);
        log(`${label} 1 conn, split cores: p50 ${split.p50Ms} ms  p99 ${split.p99Ms} ms  p99.9 ${split.p999Ms} ms${split.errors ? `  ERRORS ${split.errors}` : ''}`);
      }
      // One connection with client, upstream and proxy on CPU 0: what the proxy itself adds,
      // without the VM's cross-core wake-up delays (docs/benchmarks.md, "Latency").
      moveTo(s.pid, 0);
      try {
        latency(s.url, config.latencyWarmupS);
        const one = latency(s.url, config.latencyDurationS);
        raw[s.key].single.push(one);
        log(`${label} 1 conn, one core:    p50 ${one.p50Ms} ms  p99 ${one.p99Ms} ms  p99.9 ${one.p999Ms} ms${one.errors ? `  ERRORS ${one.errors}` : ''}`);
      } finally {
        moveTo(s.pid, 1);
      }
    }
  }

  log('route-match microbenchmark (pinned to CPU 1)');
  const routeMatch = JSON.parse(execFileSync('taskset', ['-c', '1', NODE, path.join(BENCH, 'route-match.mjs'), '--json'], { encoding: 'utf8' }));

  const summary = summarize(subjects, raw);
  const result = { at: new Date().toISOString(), machine: machineFacts(), config, subjects: summary, routeMatch, raw };
  if (config.profile) {
    await runtime.stop();
    result.profile = runtime.profileFile();
  }
  const file = path.join(resultsDir, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${markdown(result)}\n\nwritten: ${path.relative(ROOT, file)}`);
}

// ---------------------------------------------------------------------------------------

function preflight() {
  for (const tool of ['nginx', 'wrk', 'taskset']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is not installed (Debian: apt-get install ${tool === 'nginx' ? 'nginx-light' : tool === 'taskset' ? 'util-linux' : tool})`);
    }
  }
  if (cpus().length < 2) throw new Error('needs at least 2 CPUs to pin the load generator and the proxy apart');
  for (const built of ['apps/runtime/dist/main.js', 'apps/controller/dist/main.js', 'libs/runtime/routing/dist/index.js']) {
    try {
      readFileSync(path.join(ROOT, built));
    } catch {
      throw new Error(`${built} is missing: run "npm run build" first`);
    }
  }
}

function upstreamConfig(work, ports) {
  return `
worker_processes 1;
daemon off;
pid ${work}/upstream.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${work}/ub; proxy_temp_path ${work}/up; fastcgi_temp_path ${work}/uf; uwsgi_temp_path ${work}/uu; scgi_temp_path ${work}/us;
  keepalive_requests 1000000;
  server {
    ${ports.map((p) => `listen 127.0.0.1:${p};`).join(' ')}
    location / { default_type application/json; return 200 '${BODY}'; }
  }
}`;
}

function proxyConfig(work, port, upstreamPort) {
  return `
worker_processes 1;
daemon off;
master_process off;
pid ${work}/proxy.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${work}/pb; proxy_temp_path ${work}/pp; fastcgi_temp_path ${work}/pf; uwsgi_temp_path ${work}/pu; scgi_temp_path ${work}/ps;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location /api/ {
      proxy_pass http://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}`;
}

async function startNginx(work, name, cpu, text) {
  const file = path.join(work, `${name}.conf`);
  writeFileSync(file, text);
  return startPinned(`nginx-${name}`, cpu, 'nginx', ['-c', file, '-e', 'stderr']);
}

/**
 * Starts a process pinned to `cpu`. Its output goes to a file (bench/results/<time>-logs/),
 * never to a pipe: this script blocks in execFileSync while wrk runs, and a child writing
 * to a pipe nobody drains would stall once the pipe is full.
 */
function startPinned(name, cpu, command, args, extraEnv = {}) {
  const file = path.join(logDir, `${name}.log`);
  const fd = openSync(file, 'a');
  const child = spawn('taskset', ['-c', String(cpu), command, ...args], {
    env: { PATH: env.PATH, ...extraEnv },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.on('exit', (code, signal) => {
    if (!exiting) {
      console.error(`${name} exited (${code ?? signal}) during the benchmark:\n${readFileSync(file, 'utf8').slice(-3000)}`);
      shutdown(1);
    }
  });
  const entry = { name, child };
  children.push(entry);
  return entry;
}

/** Controller on a temp database (CPU 0: idle during the runs), runtime on CPU 1, both of the checkout at `o.root`. */
async function startGatewayRuntime(o) {
  // The store's test database helper, where this checkout keeps it (libraries moved into plane folders).
  const storeTesting = ['libs/controller/store/dist/testing/index.js', 'libs/store/dist/testing/index.js'].map((p) => path.join(o.root, p)).find((p) => existsSync(p));
  if (storeTesting === undefined) throw new Error(`${o.root}: no built store library (run npm ci and npm run build there)`);
  const { createTempDatabase } = await import(storeTesting);
  const db = await createTempDatabase();
  cleanups.push(() => db.drop());
  mkdirSync(o.work, { recursive: true });
  const token = 'bench-token';
  const nodeOf = path.join(o.root, 'node_modules', '.bin', 'node');
  const commit = execFileSync('git', ['-C', o.root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  startPinned(o.name === 'runtime' ? 'controller' : `${o.name}-controller`, 0, nodeOf, [path.join(o.root, 'apps/controller/dist/main.js')], {
    DATABASE_URL: db.url,
    CONTROLLER_ID: 'ctl-bench',
    CONTROLLER_HOST: '127.0.0.1',
    CONTROLLER_HTTP_PORT: String(o.ctlHttp),
    CONTROLLER_GRPC_PORT: String(o.ctlGrpc),
    ADMIN_TOKEN: token,
    // The bench measures the proxy, not the config stream: no certificates to make (older checkouts ignore it).
    CONFIG_INSECURE: 'true',
    LOG_LEVEL: 'warn',
  });
  await waitHttp(`http://127.0.0.1:${o.ctlHttp}/health/live`);
  // Routing (host + base path + routes), round robin over two targets, active health checks,
  // and the defaults: retries, outlier detection and circuit breaker on.
  const definition = {
    name: 'bench',
    basePath: '/api',
    routes: [
      { name: 'read', methods: ['GET', 'HEAD'], path: '/*' },
      { name: 'write', methods: ['POST', 'PUT', 'DELETE'], path: '/*' },
    ],
    upstream: {
      targets: [{ url: `http://127.0.0.1:${o.upA}` }, { url: `http://127.0.0.1:${o.upB}` }],
      healthCheck: { path: '/health', intervalMs: 1000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 2 },
    },
  };
  const put = await fetch(`http://127.0.0.1:${o.ctlHttp}/v1/apis/bench`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(definition),
  });
  if (!put.ok) throw new Error(`deploy failed: ${put.status} ${await put.text()}`);
  const profileDir = path.join(o.work, 'profile');
  // Started as deployed (deploy/Dockerfile: --single-threaded-gc); RUNTIME_NODE_FLAGS adds
  // Node flags for experiments (RUNTIME_NODE_FLAGS=--trace-gc: the GC log in <time>-logs/;
  // BASELINE_NODE_FLAGS for the baseline's runtime, RUNTIME_NODE_FLAGS when unset), and
  // RUNTIME_ENV / BASELINE_ENV add to its environment (`KEY=value` words).
  const flags = ['--single-threaded-gc', ...(o.flags ?? '').split(' ').filter(Boolean)];
  const args = [...flags, ...(config.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), path.join(o.root, 'apps/runtime/dist/main.js')];
  const rt = startPinned(o.name, 1, nodeOf, args, {
    ...o.processEnv,
    RUNTIME_ID: 'rt-bench',
    CONFIG_INSECURE: 'true',
    CONTROLLER_ADDRESSES: `127.0.0.1:${o.ctlGrpc}`,
    RUNTIME_HOST: '127.0.0.1',
    RUNTIME_ADMIN_HOST: '127.0.0.1',
    RUNTIME_HTTP_PORT: String(o.rtPort),
    RUNTIME_ADMIN_PORT: String(o.rtAdminPort),
    DRAIN_GRACE_MS: '0',
    LOG_LEVEL: 'warn',
  });
  await waitHttp(`http://127.0.0.1:${o.rtAdminPort}/health/ready`);
  return {
    pid: rt.child.pid,
    commit,
    flags: flags.slice(1).join(' '),
    // What the experiment set (RUNTIME_ENV / BASELINE_ENV), for the table.
    envChanges: Object.entries(o.processEnv ?? {}).map(([k, v]) => `${k}=${v}`).join(' '),
    async stop() {
      exiting = true;
      rt.child.kill('SIGTERM');
      await new Promise((resolve) => rt.child.once('exit', resolve));
    },
    profileFile() {
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file === undefined) return undefined;
      const dest = path.join(o.resultsDir, `${o.stamp}-runtime.cpuprofile`);
      renameSync(path.join(profileDir, file), dest);
      return path.relative(ROOT, dest);
    },
  };
}

/** CPU time (user + system) a process used so far, in µs, from /proc (taskset execs, so the pid is the proxy's). */
function cpuMicros(pid) {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function wrk(url, threads, connections, seconds, pid) {
  const cpuBefore = cpuMicros(pid);
  const out = execFileSync('taskset', ['-c', '0', 'wrk', `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50Ms = toMs(/\n\s+50%\s+([\d.]+\w+)/.exec(out)?.[1]);
  const p99Ms = toMs(/\n\s+99%\s+([\d.]+\w+)/.exec(out)?.[1]);
  const errors = wrkErrors(out);
  if (!Number.isFinite(rps) || p50Ms === undefined || p99Ms === undefined) throw new Error(`cannot read wrk output:\n${out}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const cpuAfter = cpuMicros(pid);
  // CPU per request is what a proxy costs on its core, and shakes less with a noisy machine than req/s.
  const cpuUsPerRequest = cpuBefore !== undefined && cpuAfter !== undefined && requests > 0 ? Math.round(((cpuAfter - cpuBefore) / requests) * 10) / 10 : undefined;
  return { rps, p50Ms, p99Ms, errors, cpuUsPerRequest };
}

/** Socket errors and non-2xx/3xx answers wrk reported. */
function wrkErrors(out) {
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
}

/** One connection through `url` for `seconds`: p50/p99/p99.9 from bench/latency.lua. */
function latency(url, seconds) {
  const out = execFileSync('taskset', ['-c', '0', 'wrk', '-t1', '-c1', `-d${seconds}s`, '-s', path.join(BENCH, 'latency.lua'), url], { encoding: 'utf8' });
  const m = /LATENCY requests=(\d+) p50=(\d+) p99=(\d+) p999=(\d+) max=(\d+)/.exec(out);
  if (!m) throw new Error(`cannot read wrk output:\n${out}`);
  const errors = wrkErrors(out);
  const us = (i) => round3(Number(m[i]) / 1000);
  return { rps: Number(m[1]) / seconds, p50Ms: us(2), p99Ms: us(3), p999Ms: us(4), maxMs: us(5), errors };
}

/** Moves every thread of a proxy process to `cpu` (the direct row has no proxy). */
function moveTo(pid, cpu) {
  if (pid === undefined) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

function toMs(text) {
  if (text === undefined) return undefined;
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return round3(m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n);
}

function summarize(subjects, raw) {
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? undefined : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const latencyOf = (runs) =>
    runs.length === 0 ? undefined : { p50Ms: round3(med(runs.map((r) => r.p50Ms))), p99Ms: round3(med(runs.map((r) => r.p99Ms))), p999Ms: round3(med(runs.map((r) => r.p999Ms))) };
  const out = {};
  for (const s of subjects) {
    const t = raw[s.key].throughput;
    const one = raw[s.key].single;
    const split = raw[s.key].singleSplit;
    out[s.key] = {
      name: s.name,
      rps: t.length ? Math.round(med(t.map((r) => r.rps))) : undefined,
      cpuUsPerRequest: t.length && t[0].cpuUsPerRequest !== undefined ? round3(med(t.map((r) => r.cpuUsPerRequest))) : undefined,
      p50Ms: t.length ? round3(med(t.map((r) => r.p50Ms))) : undefined,
      p99Ms: t.length ? round3(med(t.map((r) => r.p99Ms))) : undefined,
      single: latencyOf(one),
      singleSplit: latencyOf(split),
      errors: [...t, ...one, ...split].reduce((a, r) => a + r.errors, 0),
    };
  }
  // Added latency: the proxy's percentile minus nginx answering directly (both with everything on CPU 0).
  const direct = out.direct.single;
  for (const s of subjects) {
    const o = out[s.key];
    const minusDirect = (l) => ({ p50Ms: round3(l.p50Ms - direct.p50Ms), p99Ms: round3(l.p99Ms - direct.p99Ms), p999Ms: round3(l.p999Ms - direct.p999Ms) });
    o.added = minusDirect(o.single);
    if (o.singleSplit) o.addedSplit = minusDirect(o.singleSplit);
    if (o.rps !== undefined) {
      if (out.nginx) o.vsNginx = round3(o.rps / out.nginx.rps);
      if (out.bare) o.vsBare = round3(o.rps / out.bare.rps);
      if (out.fastGateway) o.vsFastGateway = round3(o.rps / out.fastGateway.rps);
      if (out.undici) o.vsUndici = round3(o.rps / out.undici.rps);
      // Efficiency: the bare proxy's CPU per request over this one's (1.0 = as cheap as the bare proxy).
      if (out.bare?.cpuUsPerRequest && o.cpuUsPerRequest) o.cpuVsBare = round3(out.bare.cpuUsPerRequest / o.cpuUsPerRequest);
    }
  }
  return out;
}

function markdown(result) {
  const rows = Object.values(result.subjects);
  const c = result.config.connections;
  const v = (x) => (x === undefined ? '–' : x);
  const lines = [
    `Throughput (${c} connections, the proxy alone on CPU 1; medians of ${result.config.rounds} rounds):`,
    '',
    `| proxy | req/s | p50 ms | p99 ms | × nginx | × bare Node | × fast-gateway | × undici alone | CPU µs/req | bare CPU/req ÷ this |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    if (r.rps === undefined) continue;
    lines.push(`| ${r.name} | ${fmt(r.rps)} | ${r.p50Ms} | ${r.p99Ms} | ${v(r.vsNginx)} | ${v(r.vsBare)} | ${v(r.vsFastGateway)} | ${v(r.vsUndici)} | ${v(r.cpuUsPerRequest)} | ${v(r.cpuVsBare)} |`);
  }
  lines.push(
    '',
    'Latency at one connection (ms; "added" = minus nginx answering directly). One core: client, upstream and proxy on CPU 0. Split: the proxy on CPU 1.',
    '',
    '| proxy | one core p50 | p99 | p99.9 | added p50 | **added p99** | added p99.9 | split p50 | split p99 | split p99.9 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    const sp = r.singleSplit;
    lines.push(`| ${r.name} | ${r.single.p50Ms} | ${r.single.p99Ms} | ${r.single.p999Ms} | ${r.added.p50Ms} | **${r.added.p99Ms}** | ${r.added.p999Ms} | ${v(sp?.p50Ms)} | ${v(sp?.p99Ms)} | ${v(sp?.p999Ms)} |`);
  }
  const base = result.subjects.baseline;
  const now = result.subjects.runtime;
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // Side by side in each round (same machine state): the median of the per-round ratios
  // shakes less than the ratio of the medians, which come from different rounds.
  if (result.raw.undici?.throughput) {
    for (const key of ['runtime', 'baseline']) {
      const rounds = result.raw[key]?.throughput;
      if (rounds === undefined) continue;
      const ratios = rounds.map((r, i) => round3(r.rps / result.raw.undici.throughput[i].rps));
      lines.push('', `${result.subjects[key].name} ÷ undici alone, per round: ${ratios.join(' / ')} (median ${med(ratios)}).`);
    }
  }
  if (base?.rps !== undefined && now?.rps !== undefined) {
    const perRound = result.raw.runtime.throughput.map((r, i) => round3(r.rps / result.raw.baseline.throughput[i].rps));
    const cpuRound = result.raw.runtime.throughput.map((r, i) => round3(result.raw.baseline.throughput[i].cpuUsPerRequest / r.cpuUsPerRequest));
    lines.push(
      '',
      `This runtime against the baseline (${base.name}), per round: req/s ${perRound.join(' / ')} (median ${med(perRound)}); baseline CPU per request ÷ this ${cpuRound.join(' / ')} (median ${med(cpuRound)}).`,
    );
  }
  lines.push('', '| APIs in the table | ns per match (median of 7) |', '|---:|---:|');
  for (const r of result.routeMatch) lines.push(`| ${fmt(r.routes)} | ${r.nsPerMatch} |`);
  const rt = result.subjects.runtime;
  if (rt?.vsBare !== undefined && rt.vsFastGateway !== undefined) {
    const verdict = (ok) => (ok ? 'met' : 'MISSED');
    lines.push(
      '',
      'Against the targets of issue 4:',
      `- runtime ≥ 0.9× the bare Node proxy: ${rt.vsBare}× req/s, ${v(rt.cpuVsBare)}× CPU per request → ${verdict(rt.vsBare >= 0.9)}`,
      `- runtime beats fast-gateway: ${rt.vsFastGateway}× → ${verdict(rt.vsFastGateway > 1)}`,
      `- added p99 at one connection < 1 ms: ${rt.added.p99Ms} ms → ${verdict(rt.added.p99Ms < 1)}`,
    );
  }
  return lines.join('\n');
}

function machineFacts() {
  const sh = (cmd) => {
    try {
      return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    kernel: sh('uname -r'),
    node: sh(`${NODE} --version`),
    nginx: sh('nginx -v 2>&1'),
    wrk: sh('wrk -v 2>&1 | head -n 1'),
    memoryGiB: Math.round(Number(sh("awk '/MemTotal/ {print $2}' /proc/meminfo")) / 1048576),
  };
}

async function freePorts(n) {
  const servers = [];
  const ports = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
    servers.push(s);
    ports.push(s.address().port);
  }
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  return ports;
}

async function waitHttp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const round3 = (n) => Math.round(n * 1000) / 1000;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const log = (msg) => console.log(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}`);

async function shutdown(code) {
  exiting = true;
  for (const c of children.reverse()) if (c.child.exitCode === null) c.child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.child.exitCode === null && c.child.signalCode === null ? new Promise((r) => c.child.once('exit', r)) : undefined)));
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(err);
    }
  }
  process.exit(code);
}

if (process.argv[2] === '--report') {
  // Prints the tables of an earlier run again (bench/results/<time>.json) without measuring.
  console.log(markdown(JSON.parse(readFileSync(process.argv[3], 'utf8'))));
  process.exit(0);
}
process.on('SIGINT', () => shutdown(130));
main().then(
  () => shutdown(0),
  (err) => {
    console.error(err);
    shutdown(1);
  },
);
