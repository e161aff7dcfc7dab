// Deploy API write throughput (issue 13 item 4, issue 16 item 3): two controller replicas on
// one temporary PostgreSQL database, runtimes connected, CLIENTS concurrent clients putting
// WRITES distinct small APIs (PUT /v1/apis/{name}), spread over both replicas. Reports
// writes per second, per-write latency (p50, p99), and the time from the last write's
// answer until every runtime applied the final config version. Fails (exit 1) if any write
// is not answered 201 or a runtime does not converge within 30 s.
//
// Usage (from the repo root, after `npm run build`; PostgreSQL on TEST_DATABASE_URL or 127.0.0.1:5432):
//   npm run bench:writes                           # 600 writes, 8 clients, 3 runtimes
//   WRITES=300 CLIENTS=8 RUNTIMES=3 node bench/writes.mjs
//   SEED=10000 node bench/writes.mjs               # the writes on top of 10,000 stored APIs
//   STREAM_MODE=full node bench/writes.mjs        # runtimes take whole snapshots (default delta)
//   CACHE_ROOT=/tmp/gw-caches node bench/writes.mjs  # runtimes keep disk caches there (default: none)
//   CPU_PROF=1 node bench/writes.mjs               # controllers write .cpuprofile files to $TMPDIR/gw-bench-writes/
//                                                  (read them with bench/profile-summary.mjs)
//   node bench/writes.mjs --json                   # the figures as JSON on stdout
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createTempDatabase } from '../libs/controller/store/dist/testing/index.js';
import { NODE } from './lib/cluster.mjs';

const WRITES = Number(process.env.WRITES ?? 600);
const CLIENTS = Number(process.env.CLIENTS ?? 8);
const RUNTIMES = Number(process.env.RUNTIMES ?? 3);
/** APIs already stored before the writes (one POST /v1/apply per 1,000), e.g. SEED=10000 for issue 13's scale. */
const SEED = Number(process.env.SEED ?? 0);
const CPU_PROF = process.env.CPU_PROF === '1';
/** Where the runtimes keep their disk caches (CONFIG_CACHE_DIR=<this>/<id>); none by default, as before. */
const CACHE_ROOT = process.env.CACHE_ROOT;
/** The runtimes' config stream mode (their CONFIG_STREAM_MODE): delta (the default) or full. */
const STREAM_MODE = process.env.STREAM_MODE ?? 'delta';
if (STREAM_MODE !== 'delta' && STREAM_MODE !== 'full') throw new Error(`STREAM_MODE: "${STREAM_MODE}" is neither delta nor full`);
const json = process.argv.includes('--json');
const log = (msg) => {
  if (!json) console.error(msg);
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-admin-token-0123456789';
const PROFILE_DIR = path.join(tmpdir(), 'gw-bench-writes');
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(app, env, nodeArgs = []) {
  // The project's Node (node_modules/.bin/node), not whichever ran this script: the apps need its version.
  const child = spawn(NODE, [...nodeArgs, path.join(root, 'apps', app, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', CONFIG_INSECURE: 'true', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startController(id, databaseUrl) {
  const [http, grpc] = [await freePort(), await freePort()];
  const args = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${id}.cpuprofile`] : [];
  const child = start('controller', { DATABASE_URL: databaseUrl, CONTROLLER_ID: id, CONTROLLER_HOST: '127.0.0.1', CONTROLLER_HTTP_PORT: String(http), CONTROLLER_GRPC_PORT: String(grpc), ADMIN_TOKEN: TOKEN }, args);
  const base = `http://127.0.0.1:${http}`;
  await waitFor(`${id} ready`, async () => (await fetch(`${base}/health/ready`)).ok, 60_000);
  return { id, child, base, grpc: `127.0.0.1:${grpc}` };
}

async function startRuntime(id, controllers) {
  const [proxy, admin] = [await freePort(), await freePort()];
  const child = start(
    'runtime',
    { RUNTIME_ID: id, ZONE: `z${id.slice(-1)}`, CONTROLLER_ADDRESSES: controllers, RUNTIME_HOST: '127.0.0.1', RUNTIME_ADMIN_HOST: '127.0.0.1', RUNTIME_HTTP_PORT: String(proxy), RUNTIME_ADMIN_PORT: String(admin), DRAIN_GRACE_MS: '0', CONFIG_STREAM_MODE: STREAM_MODE, ...(CACHE_ROOT ? { CONFIG_CACHE_DIR: path.join(CACHE_ROOT, id) } : {}) },
    ['--single-threaded-gc'],
  );
  return { id, child, admin: `http://127.0.0.1:${admin}` };
}

const runtimeVersion = async (r) => (await (await fetch(`${r.admin}/config`)).json()).version ?? -1;

function put(base, name) {
  const body = { name, basePath: `/${name}`, upstream: { targets: [{ url: 'http://127.0.0.1:9' }] } };
  return fetch(`${base}/v1/apis/${name}`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  if (CPU_PROF) mkdirSync(PROFILE_DIR, { recursive: true });
  const db = await createTempDatabase({ prefix: 'gw_bench_writes' });
  try {
    const controllers = [await startController('ctl-1', db.url), await startController('ctl-2', db.url)];
    for (let i = 0; i < SEED; i += 1000) {
      const apis = Array.from({ length: Math.min(1000, SEED - i) }, (_, j) => ({ name: `s-${i + j}`, basePath: `/s-${i + j}`, upstream: { targets: [{ url: 'http://127.0.0.1:9' }] } }));
      const res = await fetch(`${controllers[0].base}/v1/apply`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ apis, prune: false }) });
      if (res.status !== 200) throw new Error(`seed apply: ${res.status} ${(await res.text()).slice(0, 300)}`);
    }
    const seed = await put(controllers[0].base, 'seed');
    if (seed.status !== 201) throw new Error(`seed write: ${seed.status} ${await seed.text()}`);
    // Runtimes alternate between the replicas, as a fleet spread over two zones would.
    const runtimes = await Promise.all(Array.from({ length: RUNTIMES }, (_, i) => startRuntime(`rt-${i}`, controllers[i % 2].grpc)));
    const seedVersion = (await seed.json()).configVersion;
    await waitFor('runtimes applied the seed', async () => (await Promise.all(runtimes.map(runtimeVersion))).every((v) => v >= seedVersion), 120_000);
    log(`bench:writes: ${WRITES} writes, ${CLIENTS} clients, 2 controllers, ${RUNTIMES} runtimes (${STREAM_MODE} stream), ${SEED} APIs stored before`);

    const latencies = [];
    const failures = [];
    let highest = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        // Bounded: each client takes names from the shared list until it is empty; clients alternate replicas.
        const base = controllers[c % 2].base;
        while (next < WRITES) {
          const name = `w-${String(next++).padStart(5, '0')}`;
          const t0 = performance.now();
          const res = await put(base, name);
          latencies.push(performance.now() - t0);
          const text = await res.text();
          if (res.status !== 201) failures.push(`${name}: ${res.status} ${text.slice(0, 200)}`);
          else highest = Math.max(highest, JSON.parse(text).configVersion);
        }
      }),
    );
    const lastWrite = performance.now();
    const writeMs = lastWrite - started;
    let convergedMs = Number.NaN;
    if (failures.length === 0) {
      await waitFor(`every runtime at version ${highest}`, async () => (await Promise.all(runtimes.map(runtimeVersion))).every((v) => v >= highest), 30_000);
      convergedMs = performance.now() - lastWrite;
    }
    latencies.sort((a, b) => a - b);
    const result = {
      writes: WRITES,
      clients: CLIENTS,
      runtimes: RUNTIMES,
      seededApis: SEED,
      streamMode: STREAM_MODE,
      runtimeDiskCache: CACHE_ROOT !== undefined,
      failed: failures.length,
      writesPerSecond: Math.round((WRITES / writeMs) * 1000 * 10) / 10,
      latencyMs: { p50: Math.round(pct(latencies, 50) * 10) / 10, p99: Math.round(pct(latencies, 99) * 10) / 10 },
      convergedAfterLastWriteMs: Math.round(convergedMs),
      finalVersion: highest,
    };
    if (json) console.log(JSON.stringify(result));
    else {
      log(`  writes/s:                   ${result.writesPerSecond} (${WRITES} in ${Math.round(writeMs)} ms)`);
      log(`  write latency p50 / p99:    ${result.latencyMs.p50} / ${result.latencyMs.p99} ms`);
      log(`  all runtimes at the final version ${highest}: ${result.convergedAfterLastWriteMs} ms after the last write`);
    }
    if (failures.length > 0) {
      log(`  ${failures.length} writes failed, e.g.:\n    ${failures.slice(0, 5).join('\n    ')}`);
      process.exitCode = 1;
    }
  } finally {
    // SIGTERM lets --cpu-prof write its profile.
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => (c.once('exit', r), c.kill('SIGTERM'), setTimeout(() => c.kill('SIGKILL'), 15_000).unref())) : undefined)));
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
  for (const c of children) c.kill('SIGKILL');
});
