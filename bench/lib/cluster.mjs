// Shared by bench/config.mjs and bench/fleet.mjs: real controller and runtime processes of
// the built apps (apps/<app>/dist/main.js), a temporary database, process CPU and RSS from
// /proc, small HTTP helpers, bounded waits and percentiles. Plain JavaScript on the built
// output: run `npm run build` first.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** The repo's Node (the `node` devDependency, as `npm run` puts it first on PATH), else this one. */
export const NODE = existsSync(path.join(ROOT, 'node_modules', '.bin', 'node')) ? path.join(ROOT, 'node_modules', '.bin', 'node') : process.execPath;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux everywhere that matters). */
const CLK_TCK = 100;

export function preflight(extra = []) {
  for (const built of ['apps/controller/dist/main.js', 'apps/runtime/dist/main.js', 'libs/controller/store/dist/testing/index.js', ...extra]) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run "npm run build" first`);
  }
}

export async function freePort() {
  return (await freePorts(1))[0];
}

/**
 * `n` distinct free ports: every probe socket stays open until all are picked (two probes
 * in a row may otherwise get the same port: a controller's HTTP and gRPC port collided).
 */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  }
}

/** A fresh database on TEST_DATABASE_URL (default 127.0.0.1:5432), dropped by `drop()`. */
export async function tempDatabase() {
  const { createTempDatabase } = await import(path.join(ROOT, 'libs/controller/store/dist/testing/index.js'));
  return createTempDatabase({ prefix: 'gw_bench' });
}

const children = new Set();

/** Kills (SIGKILL) every process still running; for exit paths. */
export function killAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}
process.once('exit', killAll);

/**
 * Starts a node script with its output in `logFile` (a file, not a pipe: nothing stalls
 * when the bench is busy). Returns { child, pid, stop(signal, ms), kill9(), exited }.
 */
export function startNode(name, args, env, logFile, { ipc = false } = {}) {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const child = spawn(NODE, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
  });
  closeSync(fd);
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  exited.then(() => children.delete(child));
  return {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(t);
      }
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A controller replica on 127.0.0.1 with a plaintext config stream (CONFIG_INSECURE=true). */
export async function startController({ id, zone, databaseUrl, logDir, env = {} }) {
  const [httpPort, grpcPort] = await freePorts(2);
  const proc = startNode(
    id,
    [path.join(ROOT, 'apps/controller/dist/main.js')],
    {
      DATABASE_URL: databaseUrl,
      CONTROLLER_ID: id,
      ZONE: zone,
      CONTROLLER_HOST: '127.0.0.1',
      CONTROLLER_HTTP_PORT: String(httpPort),
      CONTROLLER_GRPC_PORT: String(grpcPort),
      ADMIN_TOKEN,
      CONFIG_INSECURE: 'true',
      LOG_LEVEL: 'warn',
      ...env,
    },
    path.join(logDir, `${id}.log`),
  );
  return { id, zone, proc, http: `http://127.0.0.1:${httpPort}`, grpc: `127.0.0.1:${grpcPort}` };
}

/** A runtime process (node --single-threaded-gc, as the image starts it); plaintext config stream. */
export async function startRuntime({ id, zone, controllers, logDir, env = {} }) {
  const [proxyPort, adminPort] = await freePorts(2);
  const proc = startNode(
    id,
    ['--single-threaded-gc', path.join(ROOT, 'apps/runtime/dist/main.js')],
    {
      RUNTIME_ID: id,
      ZONE: zone,
      CONTROLLER_ADDRESSES: controllers,
      RUNTIME_HOST: '127.0.0.1',
      RUNTIME_ADMIN_HOST: '127.0.0.1',
      RUNTIME_HTTP_PORT: String(proxyPort),
      RUNTIME_ADMIN_PORT: String(adminPort),
      CONFIG_INSECURE: 'true',
      DRAIN_GRACE_MS: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    path.join(logDir, `${id}.log`),
  );
  return { id, zone, proc, proxy: `http://127.0.0.1:${proxyPort}`, admin: `http://127.0.0.1:${adminPort}` };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request; resolves { status, body, json(), headers } or rejects on a socket error / timeout. */
export function request(method, url, { body, headers = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...AUTH, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }), ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode, headers: res.headers, body: text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls `fn` until it returns something other than undefined/false; throws after `timeoutMs`. */
export async function waitFor(what, fn, { timeoutMs = 30_000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (err?.fatal) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitControllerReady(c, timeoutMs = 60_000) {
  await waitFor(
    `${c.id} ready`,
    async () => {
      // A controller that exited (a port taken, a bad config) will not become ready: say so at once.
      if (!c.proc.alive()) throw Object.assign(new Error(`${c.id} exited (log: ${c.proc.logFile})`), { fatal: true });
      return (await request('GET', `${c.http}/health/ready`, { timeoutMs: 5_000 })).status === 200;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** The runtime's /config document, or undefined when it does not answer. */
export async function runtimeConfig(r) {
  try {
    return (await request('GET', `${r.admin}/config`, { timeoutMs: 5_000 })).json();
  } catch {
    return undefined;
  }
}

/**
 * Waits until every runtime runs `version` (or newer) and returns the latest `appliedAt`
 * among them (ms since the epoch: the runtime's own clock, the same machine's), or when
 * it was seen for a runtime whose `appliedAt` is older than `since`.
 */
export async function waitAllApplied(runtimes, version, { timeoutMs = 60_000, intervalMs = 10, since = 0 } = {}) {
  const appliedAt = new Map();
  await waitFor(
    `${runtimes.map((r) => r.id).join(', ')} at version ≥ ${version}`,
    async () => {
      await Promise.all(
        runtimes
          .filter((r) => !appliedAt.has(r.id))
          .map(async (r) => {
            const cfg = await runtimeConfig(r);
            if ((cfg?.version ?? -1) < version) return;
            // appliedAt moves only when the content changed (a runtime does not rebuild for
            // the same hash): a stale one, or a newer version, counts when it was seen.
            const at = Date.parse(cfg.appliedAt);
            appliedAt.set(r.id, cfg.version === version && at >= since ? at : Date.now());
          }),
      );
      return appliedAt.size === runtimes.length;
    },
    { timeoutMs, intervalMs },
  );
  return Math.max(...appliedAt.values());
}

/**
 * A real runtime booting from the cache directory `dir` with no controller reachable (its
 * one controller address is a free port nothing listens on): what the cache-boot benches
 * measure. `stderr()` is the last 4,000 characters it wrote, for error messages.
 */
export async function spawnRuntimeFromCache({ dir, nodeArgs = [], main = path.join(ROOT, 'apps/runtime/dist/main.js'), cwd, id = 'bench-boot', env = {} }) {
  const [proxy, admin, dead] = await freePorts(3);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd,
    env: {
      ...process.env,
      RUNTIME_ID: id,
      ZONE: 'a',
      CONTROLLER_ADDRESSES: `127.0.0.1:${dead}`,
      CONFIG_INSECURE: 'true',
      CONFIG_CACHE_DIR: dir,
      RUNTIME_HOST: '127.0.0.1',
      RUNTIME_ADMIN_HOST: '127.0.0.1',
      RUNTIME_HTTP_PORT: String(proxy),
      RUNTIME_ADMIN_PORT: String(admin),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  return { child, proxy, admin, stderr: () => stderr };
}

/** CPU seconds (user + system) and resident memory (bytes) of a live process, from /proc. */
export function procStats(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
    return { cpuS, rss };
  } catch {
    return { cpuS: NaN, rss: NaN };
  }
}

/** One sample of a Prometheus text exposition (`name{labels} value`), or undefined. */
export function metricValue(text, name, labels = {}) {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export async function scrape(c) {
  return (await request('GET', `${c.http}/metrics`, { timeoutMs: 10_000 })).body;
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const mib = (bytes) => Math.round((bytes / 1_048_576) * 10) / 10;
export const round1 = (n) => Math.round(n * 10) / 10;

/** Runs `fn` under a deadline: a phase that hangs fails the bench with its name, never stalls it. */
export async function bounded(what, ms, fn) {
  let timer;
  try {
    return await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export function parseFlags(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, inline] = a.slice(2).split('=', 2);
    const key = k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown flag --${k} (known: ${Object.keys(defaults).map((d) => `--${d.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')})`);
    const value = inline ?? (typeof defaults[key] === 'boolean' ? 'true' : argv[++i]);
    out[key] = typeof defaults[key] === 'number' ? Number(value) : typeof defaults[key] === 'boolean' ? value !== 'false' : value;
  }
  return out;
}

export function markdownTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
