// Runtime cost of one single-API change on top of 10,000 APIs (issue 13, item 3), and the
// runtime's memory with 10,000 APIs (item 5), with the runtime's own code (built dist/):
//
// - apply: `RuntimeState.apply` of the next whole snapshot (what the config client calls,
//   full-state or delta path alike) against a full rebuild (`buildRuntimeConfig` with no
//   previous config: every resource hashed, decoded and built, the routing table built),
//   side by side; and the routing table alone rebuilt at 10,000 APIs (goal < 20 ms);
// - disk cache: `ConfigCache.save` of the change (an append-log record; compaction when
//   due) against rewriting the whole file (`saveSnapshot`), and the boot-time load (base
//   file + log replay, verified against the state hash);
// - RSS: a real runtime process (apps/runtime/dist/main.js, CONFIG_INSECURE=true, no
//   controller reachable) booted from the cache of 10,000 APIs written here: VmRSS once
//   it is ready and once settled (goal < 250 MB), with the Dockerfile's Node flags and
//   with V8's young generation capped.
//
// Usage (from the repo root, after `npm run build`; `npx node` runs the repo's Node):
//   npx node bench/runtime-apply.mjs                 # 10,000 APIs, 3 warm-up + 30 changes
//   APIS=2000 CHANGES=20 WARMUP=3 npx node bench/runtime-apply.mjs
//   npx node bench/runtime-apply.mjs --json          # the figures as JSON on stdout
//   NO_RSS=1 npx node bench/runtime-apply.mjs        # skip the runtime processes
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { mixedApiDefinition } from './lib/api-mix.mjs';
import { percentile, spawnRuntimeFromCache } from './lib/cluster.mjs';
import { apiResource, buildSnapshot } from '../libs/shared/config-contract/dist/index.js';
import { ConfigCache, loadSnapshot, saveSnapshot } from '../libs/runtime/last-known-good/dist/index.js';
import { buildRouteTable, updateRouteTable } from '../libs/runtime/routing/dist/index.js';
import { buildRuntimeConfig, RuntimeState } from '../libs/runtime/runtime-config/dist/index.js';
import { testServices } from '../libs/runtime/runtime-config/dist/testing/index.js';

const APIS = Number(process.env.APIS ?? 10_000);
const CHANGES = Number(process.env.CHANGES ?? 30);
/** Rounds run first and left out of the figures (JIT warm-up). */
const WARMUP = Number(process.env.WARMUP ?? 3);
const json = process.argv.includes('--json');
/** The runtime's Node flags as deploy/Dockerfile starts it, then with the young generation capped (see docs/benchmarks.md). */
const RSS_FLAGS = [['--single-threaded-gc'], ['--single-threaded-gc', '--max-semi-space-size=8']];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => {
  if (!json) console.log(msg);
};


const round1 = (n) => Math.round(n * 10) / 10;
const stats = (v) => ({ p50: round1(percentile(v, 50)), p99: round1(percentile(v, 99)) });
const f = (x) => `${x.p50} / ${x.p99}`;

/** The next snapshot: API `i` gets a new target (a single-API deploy), the rest are the very same resource objects. */
function nextSnapshot(previous, version, i, round) {
  const resources = [...previous.resources];
  const at = resources.findIndex((r) => r.name === `api-${String(i).padStart(5, '0')}`);
  resources[at] = apiResource(mixedApiDefinition(i, `http://10.0.${round % 250}.${1 + (round % 200)}:8080`), version);
  return buildSnapshot(version, previous.epoch, resources);
}

async function benchApply() {
  const resources = Array.from({ length: APIS }, (_, i) => apiResource(mixedApiDefinition(i), 1));
  let snapshot = buildSnapshot(1, 1, resources);
  const services = testServices();
  const state = new RuntimeState({ maxApis: Number.POSITIVE_INFINITY, services });
  let t0 = performance.now();
  const first = state.apply(snapshot, 'controller');
  const coldMs = performance.now() - t0;
  if (!first.ok) throw new Error(`cold apply refused: ${first.code} ${first.message}`);

  const rows = { apply: [], fullRebuild: [], routeTable: [], routeUpdate: [] };
  for (let round = 0; round < WARMUP + CHANGES; round++) {
    const keep = round >= WARMUP;
    const i = (round * 7919) % APIS;
    const before = state.getConfig();
    snapshot = nextSnapshot(snapshot, snapshot.version + 1, i, round);
    t0 = performance.now();
    const verdict = state.apply(snapshot, 'controller');
    const t1 = performance.now();
    if (!verdict.ok) throw new Error(`apply refused: ${verdict.code} ${verdict.message}`);
    // The full rebuild costs seconds: timed in the first 10 kept rounds only.
    if (keep && rows.fullRebuild.length < 10) {
      const full = buildRuntimeConfig(snapshot, undefined, services);
      rows.fullRebuild.push(performance.now() - t1);
      if (!full.ok) throw new Error(`full rebuild refused: ${full.code}`);
    }
    const apis = [...state.getConfig().apis.values()];
    const t3 = performance.now();
    buildRouteTable(apis);
    const t4 = performance.now();
    updateRouteTable(before.table, [state.getConfig().apis.get(`api-${String(i).padStart(5, '0')}`)], []);
    const t5 = performance.now();
    if (keep) {
      rows.routeUpdate.push(t5 - t4);
      rows.apply.push(t1 - t0);
      rows.routeTable.push(t4 - t3);
    }
  }
  return { coldMs: round1(coldMs), ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, stats(v)])), snapshot };
}

async function benchCache(snapshot) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-bench-cache-'));
  const fullDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-bench-cache-full-'));
  try {
    const cache = new ConfigCache({ dir });
    let t0 = performance.now();
    await cache.save(snapshot, { controllerId: 'bench' });
    const baseMs = performance.now() - t0;
    const rows = { append: [], rewrite: [] };
    let bytesBefore = dirBytes(dir);
    const appended = [];
    for (let round = 0; round < WARMUP + CHANGES; round++) {
      snapshot = nextSnapshot(snapshot, snapshot.version + 1, (round * 104_729) % APIS, round + 7);
      t0 = performance.now();
      const outcome = await cache.save(snapshot, { controllerId: 'bench' });
      const t1 = performance.now();
      if (outcome !== 'saved') throw new Error(`save: ${outcome}`);
      await saveSnapshot(fullDir, snapshot, { controllerId: 'bench' });
      const t2 = performance.now();
      const bytes = dirBytes(dir);
      appended.push(bytes - bytesBefore);
      bytesBefore = bytes;
      if (round >= WARMUP) {
        rows.append.push(t1 - t0);
        rows.rewrite.push(t2 - t1);
      }
    }
    t0 = performance.now();
    const loaded = await loadSnapshot(dir);
    const loadMs = performance.now() - t0;
    if (loaded.status !== 'ok' || loaded.snapshot.hash !== snapshot.hash) throw new Error(`load: ${loaded.status} ${loaded.reason ?? ''}`);
    const report = cache.report();
    return {
      firstWriteMs: round1(baseMs),
      save: stats(rows.append),
      rewrite: stats(rows.rewrite),
      bytesPerChange: percentile(appended, 50),
      fileBytes: fs.statSync(path.join(fullDir, 'snapshot.json')).size,
      loadMs: round1(loadMs),
      log: { records: report.log?.records ?? 0, bytes: report.log?.bytes ?? 0 },
      dir,
      snapshot,
    };
  } finally {
    fs.rmSync(fullDir, { recursive: true, force: true });
  }
}

function dirBytes(dir) {
  return fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
}


/** Boots a real runtime from the cache directory with no controller reachable; VmRSS once ready. */
async function benchRss(dir, nodeArgs) {
  const { child, admin, stderr } = await spawnRuntimeFromCache({ dir, nodeArgs, id: 'bench-rss' });
  const started = performance.now();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`runtime exited ${child.exitCode}: ${stderr()}`);
      if (Date.now() > deadline) throw new Error(`runtime not ready within 60 s: ${stderr()}`);
      const ok = await fetch(`http://127.0.0.1:${admin}/health/ready`).then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const readyMs = performance.now() - started;
    // CPU the runtime used to get ready: less sensitive than the wall time to a busy machine.
    const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const cpuMsAtReady = (Number(stat[11]) + Number(stat[12])) * (1000 / 100);
    const cfg = await (await fetch(`http://127.0.0.1:${admin}/config`)).json();
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN);
    await new Promise((r) => setTimeout(r, 2_000));
    const rssAtReadyMb = round1(kb('VmRSS') / 1024);
    // Settle: V8's memory reducer gives the boot-time heap growth back once allocation stops (after ~10 s idle).
    await new Promise((r) => setTimeout(r, Number(process.env.RSS_SETTLE_MS ?? 10_000)));
    const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    const gauge = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    return {
      readyMs: Math.round(readyMs),
      cpuMsAtReady,
      apis: cfg.apis ?? null,
      source: cfg.source,
      rssAtReadyMb,
      rssMb: round1(kb('VmRSS') / 1024),
      hwmMb: round1(kb('VmHWM') / 1024),
      heapUsedMb: round1(gauge('nodejs_heap_size_used_bytes') / 1048576),
      heapTotalMb: round1(gauge('nodejs_heap_size_total_bytes') / 1048576),
    };
  } finally {
    child.kill('SIGKILL');
  }
}

async function main() {
  log(`${APIS} APIs, ${CHANGES} single-API changes after ${WARMUP} warm-up ones; ms as p50 / p99`);
  const apply = await benchApply();
  log(`\ncold apply of ${APIS} APIs: ${apply.coldMs} ms\n`);
  log('| one change on top of 10,000 | ms |');
  log('| --- | ---: |');
  log(`| RuntimeState.apply (reuse unchanged APIs) | ${f(apply.apply)} |`);
  log(`| full rebuild (buildRuntimeConfig, no previous; 10 rounds) | ${f(apply.fullRebuild)} |`);
  log(`| routing table alone, full rebuild | ${f(apply.routeTable)} |`);
  log(`| routing table alone, updated for the one API (updateRouteTable) | ${f(apply.routeUpdate)} |`);
  log(`\nfull rebuild / apply at p50: ${(apply.fullRebuild.p50 / apply.apply.p50).toFixed(1)}x`);

  const cache = await benchCache(apply.snapshot);
  log(`\ndisk cache: first write ${cache.firstWriteMs} ms (${cache.fileBytes} bytes whole file)\n`);
  log('| one change on top of 10,000 | ms | bytes written |');
  log('| --- | ---: | ---: |');
  log(`| ConfigCache.save (append log) | ${f(cache.save)} | ${cache.bytesPerChange} |`);
  log(`| whole-file rewrite (saveSnapshot) | ${f(cache.rewrite)} | ${cache.fileBytes} |`);
  log(`\nload (base + ${cache.log.records} log records, verified): ${cache.loadMs} ms`);

  const rss = [];
  try {
    if (!process.env.NO_RSS) {
      log(`\nruntime process booted from that cache (${APIS} APIs), no controller reachable:\n`);
      log('| node flags | ready ms | CPU ms to ready | VmRSS 2 s after ready | VmRSS settled | peak | V8 heap used / total |');
      log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
      for (const flags of RSS_FLAGS) {
        const r = { flags: flags.join(' '), ...(await benchRss(cache.dir, flags)) };
        rss.push(r);
        log(`| \`${r.flags}\` | ${r.readyMs} | ${r.cpuMsAtReady} | ${r.rssAtReadyMb} MB | ${r.rssMb} MB | ${r.hwmMb} MB | ${r.heapUsedMb} / ${r.heapTotalMb} MB |`);
      }
    }
  } finally {
    fs.rmSync(cache.dir, { recursive: true, force: true });
  }
  if (json) {
    const { snapshot: _a, ...a } = apply;
    const { snapshot: _c, dir: _d, ...c } = cache;
    console.log(JSON.stringify({ apis: APIS, changes: CHANGES, warmup: WARMUP, node: process.version, apply: a, cache: c, rss }, null, 2));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
