// Cold start of a runtime from its disk cache (issue 13: < 1 s at 10,000 APIs): a real
// runtime process (apps/runtime/dist/main.js --single-threaded-gc, CONFIG_INSECURE=true, no
// controller reachable) from spawn until `/health/ready` answers 200, with the CPU it used
// to get there (/proc: less sensitive than wall time to a busy machine). The cache holds
// 10,000 APIs of the in-process benches' mix as the controller sends them (compact content,
// `compileApi`), written by `ConfigCache.save` (a base file plus log records).
//
// A runtime keeps, next to the cache, the definitions it decoded (decoded-definitions.json,
// written in the background after a boot or a new base file): each tree first boots once
// and runs until it has written that file, as a runtime that ran before has. NO_DECODED=1
// removes the file before every boot instead (the first boot after an upgrade).
//
// Several built trees can be compared in one run, alternating boots (A B A B …): pass
// `--tree <dir>` once per tree (default: this repo). A tree is a directory holding
// apps/runtime/dist and libs/*/dist (a copy of another commit's build works, see
// docs/benchmarks.md). Also boots each tree with no config once per round (an empty cache
// directory: time and CPU to its first answer on /health/live), the process start cost.
//
// Usage (after `npm run build`; `npx node` runs the repo's Node):
//   npx node bench/cache-boot.mjs                                 # this tree, 10,000 APIs, 5 rounds
//   npx node bench/cache-boot.mjs --tree /tmp/before --tree .     # A/B, alternating
//   APIS=2000 ROUNDS=3 npx node bench/cache-boot.mjs
//   npx node bench/cache-boot.mjs --profile                       # V8 CPU profiles of each boot (bench/results/cache-boot-*/)
//   npx node bench/cache-boot.mjs --cache-dir /tmp/c              # keep (or reuse) the cache directory
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { mixedApiDefinition } from './lib/api-mix.mjs';
import { spawnRuntimeFromCache } from './lib/cluster.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const APIS = Number(process.env.APIS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
/** Log records on top of the base, as a runtime that followed single-API deploys has. */
const CHANGES = Number(process.env.CHANGES ?? 30);
const args = process.argv.slice(2);
const many = (name) => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));
const trees = (many('tree').length > 0 ? many('tree') : [root]).map((t) => path.resolve(t));
const profile = args.includes('--profile');
const keptDir = many('cache-dir')[0];
/** The image's flags (deploy/Dockerfile); NODE_FLAGS adds more (space-separated). */
const NODE_FLAGS = ['--single-threaded-gc', ...(process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean)];

async function writeCache(dir) {
  const { buildSnapshot } = await import('../libs/shared/config-contract/dist/index.js');
  const { compileApi } = await import('../libs/controller/compiler/dist/index.js');
  const compactApiResource = (definition, revision) => compileApi({ definition, revision }).resource;
  const { ConfigCache } = await import('../libs/runtime/last-known-good/dist/index.js');
  const cache = new ConfigCache({ dir });
  let resources = Array.from({ length: APIS }, (_, i) => compactApiResource(mixedApiDefinition(i), 1));
  let snapshot = buildSnapshot(1, 1, resources);
  await cache.save(snapshot, { controllerId: 'bench' });
  for (let round = 0; round < CHANGES; round++) {
    const i = (round * 7919) % APIS;
    resources = [...resources];
    resources[i] = compactApiResource(mixedApiDefinition(i, `http://10.0.${round % 250}.${1 + (round % 200)}:8080`), round + 2);
    snapshot = buildSnapshot(snapshot.version + 1, 1, resources);
    await cache.save(snapshot, { controllerId: 'bench' });
  }
  return snapshot;
}


function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) * (1000 / 100);
}

/** Spawn → the first 200 on `probe`; wall and CPU ms at that moment. */
async function boot(tree, dir, probe, profileDir) {
  const flags = profileDir ? [...NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${profileDir}`] : NODE_FLAGS;
  const started = performance.now();
  const { child, admin, stderr } = await spawnRuntimeFromCache({ dir, nodeArgs: flags, main: path.join(tree, 'apps/runtime/dist/main.js'), cwd: tree });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`runtime exited ${child.exitCode}: ${stderr()}`);
      if (Date.now() > deadline) throw new Error(`runtime not ready within 60 s: ${stderr()}`);
      const ok = await fetch(`http://127.0.0.1:${admin}${probe}`).then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const wallMs = Math.round(performance.now() - started);
    const cpu = cpuMs(child.pid);
    const cfg = probe === '/health/ready' ? await (await fetch(`http://127.0.0.1:${admin}/config`)).json() : undefined;
    return { wallMs, cpuMs: cpu, apis: cfg?.apis, source: cfg?.source, version: cfg?.version };
  } finally {
    // SIGINT lets --cpu-prof write its profile (the runtime drains and exits on it).
    if (profileDir) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    child.kill('SIGKILL');
  }
}

const DECODED_FILE = 'decoded-definitions.json';

/** Boots `tree` from `dir` and waits (≤ 30 s) for it to write the decoded definitions; false if it never does (an older build). */
async function warmUp(tree, dir) {
  const file = path.join(dir, DECODED_FILE);
  fs.rmSync(file, { force: true });
  const { child } = await spawnRuntimeFromCache({ dir, nodeArgs: NODE_FLAGS, main: path.join(tree, 'apps/runtime/dist/main.js'), cwd: tree });
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (fs.existsSync(file)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const dir = keptDir ? path.resolve(keptDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'gw-cache-boot-'));
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-cache-empty-'));
  let expected;
  if (!fs.existsSync(path.join(dir, 'snapshot.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    expected = (await writeCache(dir)).version;
    console.log(`cache of ${APIS} APIs (+${CHANGES} log records) written in ${Math.round(performance.now() - t0)} ms: ${dir}`);
  }
  const profileRoot = profile ? path.join(root, 'bench', 'results', `cache-boot-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined;
  const rows = trees.map((tree) => ({ tree, ready: [], bare: [] }));
  console.log(`load average before: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [t, row] of rows.entries()) {
        const pdir = profileRoot ? path.join(profileRoot, `tree${t}-round${round}`) : undefined;
        if (process.env.NO_DECODED === '1') fs.rmSync(path.join(dir, DECODED_FILE), { force: true });
        else row.decoded = await warmUp(row.tree, dir);
        const r = await boot(row.tree, dir, '/health/ready', pdir);
        if (r.source !== 'cache' || r.apis !== APIS || (expected !== undefined && r.version !== expected)) throw new Error(`${row.tree}: ready with ${JSON.stringify(r)}`);
        row.ready.push(r);
        row.bare.push(await boot(row.tree, empty, '/health/live', undefined));
        console.log(`round ${round} tree ${t}${row.decoded ? ' (decoded definitions)' : ''}: ready ${r.wallMs} ms wall, ${r.cpuMs} ms CPU; no config: first answer ${row.bare.at(-1).wallMs} ms wall, ${row.bare.at(-1).cpuMs} ms CPU`);
      }
    }
  } finally {
    if (!keptDir) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(empty, { recursive: true, force: true });
  }
  console.log(`load average after: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  console.log(`\n${APIS} APIs from the disk cache, ${ROUNDS} rounds alternating, medians (min–max):\n`);
  console.log('| tree | ready: wall ms | ready: CPU ms | no config, first answer: wall ms | CPU ms |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const span = (xs) => `${median(xs)} (${Math.min(...xs)}–${Math.max(...xs)})`;
  for (const row of rows) {
    console.log(`| ${row.tree} | ${span(row.ready.map((r) => r.wallMs))} | ${span(row.ready.map((r) => r.cpuMs))} | ${span(row.bare.map((r) => r.wallMs))} | ${span(row.bare.map((r) => r.cpuMs))} |`);
  }
  if (profileRoot) console.log(`\nprofiles: ${profileRoot}`);
}

await main();
