// The config benchmark of issue 13 (docs/benchmarks.md, "Config at 10,000 APIs"): two
// controller replicas (zones a and b) and three runtimes (zones a, b, c) as real processes
// of the built apps, on a temporary database, once per config stream mode (the runtime env
// CONFIG_STREAM_MODE=delta|full), side by side in one run. Each mode gets a fresh database
// and fresh processes. Per mode:
//   1. POST /v1/apply of 10,000 APIs → applied by all three runtimes;
//   2. single-API deploys on top (alternating replicas, one at a time) → applied in all
//      three zones, p50/p99 (goal p50 < 100 ms, p99 < 250 ms);
//   3. write throughput: 8 clients putting single APIs through both replicas, and the
//      convergence (every runtime at the final version, goal within 1 s of the last write);
//   4. RSS of the runtimes and controllers;
//   5. runtime cold start with 10,000 APIs from a controller (goal < 2 s) and from its disk
//      cache with no controller reachable (goal < 1 s).
// The config stream is plaintext (CONFIG_INSECURE=true) to keep certificates out of the
// set-up; the cost of TLS is not part of these figures.
//
// Usage (after `npm run build`; PostgreSQL on TEST_DATABASE_URL or 127.0.0.1:5432):
//   npm run bench:config                         # both modes, 10,000 APIs, 20 deploys, 600 writes
//   npm run bench:config -- --modes full         # one mode
//   npm run bench:config -- --apis 2000 --deploys 20 --writes 300 --json
// Results: a table on stdout and bench/results/config-<time>.json (git-ignored); process
// logs in bench/results/config-<time>-logs/.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finishBenchRun, runBenchCases, startBenchRun } from './lib/bench-run.mjs';
import {
  ROOT,
  bounded,
  freePort,
  markdownTable,
  mib,
  parseFlags,
  percentile,
  preflight,
  procStats,
  request,
  round1,
  runtimeConfig,
  startController,
  startRuntime,
  tempDatabase,
  waitAllApplied,
  waitControllerReady,
  waitFor,
} from './lib/cluster.mjs';

const flags = parseFlags(process.argv.slice(2), { modes: 'delta,full', apis: 10_000, deploys: 20, warmup: 3, writes: 600, writeSeconds: 60, clients: 8, json: false, profile: false });
const MODES = flags.modes.split(',').map((m) => m.trim()).filter(Boolean);
for (const m of MODES) if (m !== 'delta' && m !== 'full') throw new Error(`--modes: "${m}" is neither delta nor full`);
const GOALS = { deployP50Ms: 100, deployP99Ms: 250, coldControllerMs: 2_000, coldCacheMs: 1_000, writesPerS: 150, convergeMs: 1_000, applyAllMs: 5_000, runtimeRssMiB: 250 };
/** When the settled RSS is read: past the runtime's SETTLE_AFTER_APPLY_MS (5 s) after the last write, with room for the compaction. */
const SETTLED_RSS_AFTER_MS = 8_000;
const log = (msg) => (flags.json ? process.stderr : process.stdout).write(`${msg}\n`);

const name = (i) => `api-${String(i).padStart(5, '0')}`;
/** Small, realistic definitions: a third with routes, a third bound to a host, the rest a plain prefix. */
function definition(i, target = 'http://10.0.0.7:8080') {
  const n = name(i);
  const api = { name: n, basePath: `/svc${i}/v1`, upstream: { targets: [{ url: target }] } };
  if (i % 3 === 0) api.routes = [{ name: 'get-item', methods: ['GET'], path: '/items/:id' }, { name: 'create', methods: ['POST'], path: '/items' }];
  if (i % 3 === 1) api.hosts = [`h${i}.example.com`];
  return api;
}

/** A runtime build that does not read CONFIG_STREAM_MODE would run both modes as one: refuse rather than report twice the same path. */
function checkModeSupported() {
  const dirs = ['apps/runtime/dist', 'libs/runtime/config-client/dist'].map((d) => path.join(ROOT, d));
  const known = dirs.some((dir) => readdirSync(dir).some((f) => f.endsWith('.js') && readFileSync(path.join(dir, f), 'utf8').includes('CONFIG_STREAM_MODE')));
  if (!known) throw new Error('this build of apps/runtime does not read CONFIG_STREAM_MODE: the config stream mode cannot be chosen (run with --modes full, or build a tree that has the switch)');
}

/** Fills `out` as it goes, so a phase that fails leaves the figures of the phases before it. */
async function runMode(mode, logDir, out) {
  // A build without the switch streams full state (the switch came with delta streaming): only delta needs it.
  if (mode === 'delta') checkModeSupported();
  const db = await tempDatabase();
  const work = mkdtempSync(path.join(tmpdir(), `gw-bench-config-${mode}-`));
  const procs = [];
  try {
    // --profile: V8 CPU profiles of the controllers and runtimes, written when they exit.
    const profileEnv = flags.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${logDir}` } : {};
    const ctlEnv = { CHANGE_FEED_POLL_MS: '1000', ...profileEnv };
    const ctl = [await startController({ id: 'ctl-1', zone: 'a', databaseUrl: db.url, logDir, env: ctlEnv })];
    procs.push(ctl[0]);
    await waitControllerReady(ctl[0]); // migrations ran; the second replica starts on a migrated database
    ctl.push(await startController({ id: 'ctl-2', zone: 'b', databaseUrl: db.url, logDir, env: ctlEnv }));
    procs.push(ctl[1]);
    await waitControllerReady(ctl[1]);
    const addresses = `a=${ctl[0].grpc},b=${ctl[1].grpc}`;
    const rtEnv = (id) => ({ CONFIG_STREAM_MODE: mode, CONFIG_CACHE_DIR: path.join(work, id), ...profileEnv });
    const runtimes = [];
    for (const zone of ['a', 'b', 'c']) {
      const id = `rt-${zone}`;
      const r = await startRuntime({ id, zone, controllers: addresses, logDir, env: rtEnv(id) });
      procs.push(r);
      runtimes.push(r);
    }
    await bounded('runtimes connect', 60_000, () =>
      Promise.all(runtimes.map((r) => waitFor(`${r.id} connected`, async () => (await runtimeConfig(r))?.controller.connected === true, { timeoutMs: 60_000, intervalMs: 100 }))),
    );

    // 1. One apply of every API.
    log(`[${mode}] POST /v1/apply of ${flags.apis} APIs`);
    const body = JSON.stringify({ apis: Array.from({ length: flags.apis }, (_, i) => definition(i)) });
    let t0 = Date.now();
    const applied = await request('POST', `${ctl[0].http}/v1/apply`, { body, timeoutMs: 120_000 });
    if (applied.status !== 200) throw new Error(`apply: ${applied.status} ${applied.body.slice(0, 500)}`);
    const answeredMs = Date.now() - t0;
    let version = applied.json().configVersion;
    const allAt = await waitAllApplied(runtimes, version, { timeoutMs: 180_000, intervalMs: 25, since: t0 });
    out.apply = { apis: flags.apis, bodyMiB: mib(Buffer.byteLength(body)), answeredMs, appliedEverywhereMs: allAt - t0 };
    log(`[${mode}]   answered in ${answeredMs} ms, applied by all three runtimes after ${allAt - t0} ms`);
    const controllersSettled = async () => {
      for (const c of ctl) await waitFor(`${c.id} at v${version}`, async () => (await request('GET', `${c.http}/health/ready`)).json().checks?.snapshot?.version >= version, { timeoutMs: 60_000, intervalMs: 50 });
    };
    await controllersSettled();

    // 2. Single-API deploys, one at a time, alternating replicas.
    log(`[${mode}] ${flags.warmup} + ${flags.deploys} single-API deploys`);
    const deployMs = [];
    for (let k = 0; k < flags.warmup + flags.deploys; k++) {
      const i = (k * 7919) % flags.apis;
      const c = ctl[k % 2];
      t0 = Date.now();
      // A new target each time: a deploy that changes nothing is not rebuilt by a runtime.
      const res = await request('PUT', `${c.http}/v1/apis/${name(i)}`, { body: definition(i, `http://10.9.${k % 250}.${1 + (k % 200)}:8080`), timeoutMs: 30_000 });
      if (res.status !== 200) throw new Error(`deploy ${k}: ${res.status} ${res.body.slice(0, 300)}`);
      version = res.json().configVersion;
      const at = await waitAllApplied(runtimes, version, { timeoutMs: 30_000, intervalMs: 5, since: t0 });
      if (k >= flags.warmup) deployMs.push(Math.max(0, at - t0));
      await controllersSettled(); // the next deploy starts from a quiet system
    }
    out.deploy = { count: deployMs.length, p50Ms: percentile(deployMs, 50), p99Ms: percentile(deployMs, 99), maxMs: Math.max(...deployMs), samplesMs: deployMs };
    log(`[${mode}]   deploy → applied in 3 zones: p50 ${out.deploy.p50Ms} ms, p99 ${out.deploy.p99Ms} ms`);

    // 3. Write throughput and convergence.
    log(`[${mode}] up to ${flags.writes} writes (at most ${flags.writeSeconds} s) from ${flags.clients} clients through both replicas`);
    let next = 0;
    let highest = 0;
    const failures = [];
    const latencies = [];
    // CPU time of the controllers and runtimes over the write phase (to convergence): on a
    // shared, loaded machine the work per write compares better than the wall-clock rate.
    const cpuOf = (list) => list.map((x) => procStats(x.proc.pid).cpuS);
    // PostgreSQL's backends serving this database (their title names it), by pid.
    const dbName = new URL(db.url).pathname.slice(1);
    const pgCpu = () => {
      const out = new Map();
      for (const pid of readdirSync('/proc').filter((f) => /^\d+$/.test(f))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${dbName} `)) out.set(pid, procStats(pid).cpuS);
        } catch {
          // Gone meanwhile.
        }
      }
      return out;
    };
    const cpuBefore = { ctl: cpuOf(ctl), rt: cpuOf(runtimes), pg: pgCpu() };
    t0 = Date.now();
    let lastWriteAt = 0;
    await bounded('writes', 300_000, () =>
      Promise.all(
        Array.from({ length: flags.clients }, async (_, client) => {
          // Bounded in count and in time: the rate is what was written in the time it took.
          while (next < flags.writes && Date.now() - t0 < flags.writeSeconds * 1000) {
            const k = next++;
            const i = (k * 104_729 + 13) % flags.apis;
            const started = Date.now();
            try {
              const res = await request('PUT', `${ctl[(client + k) % 2].http}/v1/apis/${name(i)}`, { body: definition(i, `http://10.1.${k % 250}.${1 + (k % 200)}:8080`), timeoutMs: 30_000 });
              if (res.status !== 200 && res.status !== 201) failures.push(`${res.status} ${res.body.slice(0, 200)}`);
              else highest = Math.max(highest, res.json().configVersion);
            } catch (err) {
              failures.push(err.message);
            }
            latencies.push(Date.now() - started);
            lastWriteAt = Math.max(lastWriteAt, Date.now());
          }
        }),
      ),
    );
    const writeMs = lastWriteAt - t0;
    const convergedAt = await waitAllApplied(runtimes, highest, { timeoutMs: 60_000, intervalMs: 10, since: t0 });
    const cpuMsPerWrite = (before, list) => cpuOf(list).map((after, k) => round1(((after - before[k]) * 1000) / Math.max(1, next)));
    let pgS = 0;
    for (const [pid, after] of pgCpu()) pgS += after - (cpuBefore.pg.get(pid) ?? 0); // a backend started meanwhile counts whole
    out.writes = {
      count: next,
      clients: flags.clients,
      failures: failures.length,
      failureSamples: failures.slice(0, 5),
      durationMs: writeMs,
      perS: round1((next * 1000) / writeMs),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      convergeAfterLastWriteMs: Math.max(0, convergedAt - lastWriteAt),
      cpuMsPerWrite: { controllers: cpuMsPerWrite(cpuBefore.ctl, ctl), runtimes: cpuMsPerWrite(cpuBefore.rt, runtimes), postgres: round1((pgS * 1000) / Math.max(1, next)) },
    };
    log(`[${mode}]   ${next} writes, ${out.writes.perS} writes/s, ${failures.length} failed, converged ${out.writes.convergeAfterLastWriteMs} ms after the last write`);
    version = highest;
    await controllersSettled();

    // 4. Memory, with 10,000 APIs applied.
    out.rss = {
      runtimesMiB: runtimes.map((r) => mib(procStats(r.proc.pid).rss)),
      controllersMiB: ctl.map((c) => mib(procStats(c.proc.pid).rss)),
    };
    // And once the config changes have settled: a runtime with a large config gives back
    // what a burst of applies grew its heap into 5 s after the last one (apps/runtime/src/
    // settle-compaction.ts); the goal is judged on this steady state.
    await new Promise((resolve) => setTimeout(resolve, SETTLED_RSS_AFTER_MS));
    out.rss.runtimesSettledMiB = runtimes.map((r) => mib(procStats(r.proc.pid).rss));

    // 5. Cold starts of a fourth runtime: from a controller (empty cache), then from its disk cache alone.
    log(`[${mode}] cold starts`);
    const coldId = 'rt-cold';
    t0 = Date.now();
    let cold = await startRuntime({ id: coldId, zone: 'a', controllers: addresses, logDir, env: rtEnv(coldId) });
    procs.push(cold);
    await waitFor(`${coldId} at v${version} from a controller`, async () => ((await runtimeConfig(cold))?.version ?? -1) >= version, { timeoutMs: 60_000, intervalMs: 10 });
    const fromController = Date.now() - t0;
    // The cache file is written after the apply: wait until it is on disk.
    await waitFor(`${coldId} cache saved`, async () => {
      const c = (await runtimeConfig(cold))?.cache;
      return c?.status === 'ok' && c.version >= version;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    const coldRss = mib(procStats(cold.proc.pid).rss);
    await cold.proc.stop('SIGTERM', 10_000);
    // No controller reachable: a port nothing listens on.
    const dead = `a=127.0.0.1:${await freePort()}`;
    t0 = Date.now();
    cold = await startRuntime({ id: coldId, zone: 'a', controllers: dead, logDir, env: rtEnv(coldId) });
    procs.push(cold);
    const fromCacheCfg = await waitFor(
      `${coldId} serving v${version} from its cache`,
      async () => {
        const ready = await request('GET', `${cold.admin}/health/ready`, { timeoutMs: 2_000 }).catch(() => undefined);
        return ready?.status === 200 ? runtimeConfig(cold) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 10 },
    );
    const fromCache = Date.now() - t0;
    if (fromCacheCfg.version !== version) throw new Error(`the cache start serves v${fromCacheCfg.version}, not v${version} (source ${fromCacheCfg.source})`);
    out.coldStart = { fromControllerMs: fromController, fromCacheMs: fromCache, cacheSource: fromCacheCfg.source, rssFromControllerMiB: coldRss };
    log(`[${mode}]   cold start: from a controller ${fromController} ms, from the disk cache ${fromCache} ms`);
    return out;
  } finally {
    await Promise.all(procs.map((p) => p.proc.stop('SIGTERM', 5_000)));
    await db.drop().catch((err) => log(`could not drop ${db.name}: ${err.message}`));
    rmSync(work, { recursive: true, force: true });
  }
}

function verdict(ok) {
  return ok ? 'yes' : '**no**';
}

function report(results) {
  const cols = results.map((r) => r.mode);
  // A mode that failed shows the phases it finished; the rest read "—".
  const row = (label, f) =>
    [label, ...results.map((r) => {
      try {
        return String(f(r));
      } catch {
        return '—';
      }
    })];
  const lines = [
    row(`POST /v1/apply of ${flags.apis} APIs: answered (ms)`, (r) => r.apply.answeredMs),
    row(`… applied by all 3 runtimes (ms; goal < ${GOALS.applyAllMs})`, (r) => r.apply.appliedEverywhereMs),
    row(`single-API deploy → 3 zones p50 (ms; goal < ${GOALS.deployP50Ms})`, (r) => r.deploy.p50Ms),
    row(`single-API deploy → 3 zones p99 (ms; goal < ${GOALS.deployP99Ms})`, (r) => r.deploy.p99Ms),
    row(`writes/s, ${flags.clients} clients, 2 replicas (goal ≥ ${GOALS.writesPerS})`, (r) => r.writes.perS),
    row('write latency p50 / p99 (ms)', (r) => `${r.writes.latencyP50Ms} / ${r.writes.latencyP99Ms}`),
    row('failed writes', (r) => r.writes.failures),
    row(`converged after the last write (ms; goal < ${GOALS.convergeMs})`, (r) => r.writes.convergeAfterLastWriteMs),
    row('CPU per write, ctl-1 / ctl-2 (ms; writes to convergence)', (r) => r.writes.cpuMsPerWrite.controllers.join(' / ')),
    row('CPU per write, runtimes a / b / c (ms)', (r) => r.writes.cpuMsPerWrite.runtimes.join(' / ')),
    row('CPU per write, PostgreSQL backends of the database (ms)', (r) => r.writes.cpuMsPerWrite.postgres),
    row(`cold start from a controller (ms; goal < ${GOALS.coldControllerMs})`, (r) => r.coldStart.fromControllerMs),
    row(`cold start from the disk cache (ms; goal < ${GOALS.coldCacheMs})`, (r) => r.coldStart.fromCacheMs),
    row('runtime RSS a / b / c right after the writes (MiB)', (r) => r.rss.runtimesMiB.join(' / ')),
    row(`runtime RSS a / b / c, settled ${SETTLED_RSS_AFTER_MS / 1000} s later (MiB; goal < ${GOALS.runtimeRssMiB} MB)`, (r) => r.rss.runtimesSettledMiB.join(' / ')),
    row('controller RSS ctl-1 / ctl-2 (MiB)', (r) => r.rss.controllersMiB.join(' / ')),
  ];
  const goals = results
    .filter((r) => !r.error)
    .map((r) => {
      const checks = {
        'apply everywhere < 5 s': r.apply.appliedEverywhereMs < GOALS.applyAllMs,
        'deploy p50 < 100 ms': r.deploy.p50Ms < GOALS.deployP50Ms,
        'deploy p99 < 250 ms': r.deploy.p99Ms < GOALS.deployP99Ms,
        'writes ≥ 150/s': r.writes.perS >= GOALS.writesPerS,
        'no failed write': r.writes.failures === 0,
        'converged < 1 s': r.writes.convergeAfterLastWriteMs < GOALS.convergeMs,
        'cold start (controller) < 2 s': r.coldStart.fromControllerMs < GOALS.coldControllerMs,
        'cold start (cache) < 1 s': r.coldStart.fromCacheMs < GOALS.coldCacheMs,
        'runtime RSS < 250 MB': Math.max(...r.rss.runtimesSettledMiB) * 1.048576 < GOALS.runtimeRssMiB,
      };
      return `${r.mode}: ${Object.entries(checks).map(([k, ok]) => `${k} ${verdict(ok)}`).join('; ')}`;
    });
  const errors = results.filter((r) => r.error).map((r) => `${r.mode}: FAILED: ${r.error}`);
  return `${markdownTable(['', ...cols], lines)}\n\nGoals met:\n${[...goals, ...errors].map((g) => `- ${g}`).join('\n')}`;
}

async function main() {
  preflight();
  const run = startBenchRun('config');
  log(`config bench: modes ${MODES.join(', ')}; ${flags.apis} APIs; machine ${JSON.stringify(run.machine)}`);
  const results = await runBenchCases(
    MODES.map((mode) => {
      const out = { mode };
      // Each mode bounded as a whole: a hang fails that mode, never the run.
      return { label: `mode ${mode}`, limitMs: 15 * 60_000, out, run: () => runMode(mode, path.join(run.logDir, mode), out) };
    }),
    log,
  );
  finishBenchRun(run, { flags, goals: GOALS, results }, report(results));
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
