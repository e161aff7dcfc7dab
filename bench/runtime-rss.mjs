// Where a runtime's memory goes with 10,000 APIs (issue 13, item 5), and what a launch
// setting changes, variants alternated in one run (the machine is shared: compare within it).
//
// Writes a disk cache of APIS APIs once (those of `npm run bench:config`, or MIX=mixed: the
// compile bench's mix; bench/lib/api-mix.mjs), then
// boots real runtime processes from it (apps/runtime/dist/main.js, CONFIG_INSECURE=true, no
// controller reachable), one variant after another for ROUNDS rounds, and reports for each,
// after it is ready, a /metrics scrape and SETTLE_MS of quiet: VmRSS, its split from
// /proc/<pid>/smaps_rollup (anonymous vs file-backed), V8's heap (used / committed, per
// space) and external memory from the runtime's own metrics.
//
// Usage (after `npm run build`):
//   npx node bench/runtime-rss.mjs                                  # the image's flags, 3 rounds
//   VARIANTS='image;image --max-semi-space-size=1' npx node bench/runtime-rss.mjs
//   VARIANTS='image;image|MALLOC_ARENA_MAX=2' npx node bench/runtime-rss.mjs
//   RUNTIME_DIST=../gw-before/apps/runtime/dist ...                  # another build (one variant: `before`)
//
// A variant is `<label>` words: `image` stands for the image's flags (`--single-threaded-gc`),
// other words starting with `--` are Node flags, `|NAME=value` sets an environment variable,
// and `@path/to/main.js` another runtime build.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configBenchApiDefinition, mixedApiDefinition } from './lib/api-mix.mjs';
import { spawnRuntimeFromCache } from './lib/cluster.mjs';
import { apiResource, buildSnapshot } from '../libs/shared/config-contract/dist/index.js';
import { ConfigCache } from '../libs/runtime/last-known-good/dist/index.js';

const APIS = Number(process.env.APIS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** `config`: the APIs of `npm run bench:config` (schema defaults: breaker, outlier detection, retries on); `mixed`: the compile bench's mix. */
const MIX = process.env.MIX ?? 'config';
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 12_000);
const IMAGE_FLAGS = ['--single-threaded-gc'];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const variants = (process.env.VARIANTS ?? 'image').split(';').map((v) => v.trim()).filter(Boolean).map(parseVariant);

function parseVariant(label) {
  const args = [];
  const env = {};
  let main = path.join(root, 'apps/runtime/dist/main.js');
  for (const word of label.split(/\s+/)) {
    if (word === 'image') args.push(...IMAGE_FLAGS);
    else if (word.startsWith('--')) args.push(word);
    else if (word.startsWith('|')) {
      const [k, v] = word.slice(1).split('=');
      env[k] = v;
    } else if (word.startsWith('@')) main = path.resolve(word.slice(1));
    else throw new Error(`variant word "${word}" is neither image, --flag, |ENV=value nor @main.js`);
  }
  return { label, args, env, main };
}

async function writeCache() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-bench-rss-'));
  const resources = Array.from({ length: APIS }, (_, i) => apiResource(MIX === 'mixed' ? mixedApiDefinition(i) : configBenchApiDefinition(i), 1));
  const cache = new ConfigCache({ dir });
  const outcome = await cache.save(buildSnapshot(1, 1, resources), { controllerId: 'bench' });
  if (outcome !== 'saved') throw new Error(`cache save: ${outcome}`);
  return dir;
}


const mb = (bytes) => Math.round(bytes / 104857.6) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function procKb(pid, file, key) {
  return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? NaN);
}

async function boot(dir, variant) {
  const { child, admin, stderr } = await spawnRuntimeFromCache({ dir, nodeArgs: variant.args, main: variant.main, id: 'bench-rss', env: variant.env });
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`runtime exited ${child.exitCode}: ${stderr()}`);
      if (Date.now() > deadline) throw new Error(`runtime not ready within 120 s: ${stderr()}`);
      if (await fetch(`http://127.0.0.1:${admin}/health/ready`).then((r) => r.status === 200, () => false)) break;
      await sleep(50);
    }
    const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const cpuMsAtReady = (Number(stat[11]) + Number(stat[12])) * 10;
    const cfg = await (await fetch(`http://127.0.0.1:${admin}/config`)).json();
    if (APIS > 0 && cfg.apis !== APIS) throw new Error(`runtime has ${cfg.apis} APIs, not ${APIS}`);
    // One scrape (what Prometheus does), then quiet: V8's memory reducer runs after ~10 s idle.
    await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    await sleep(SETTLE_MS);
    const rssKb = procKb(child.pid, 'status', 'VmRSS');
    const rollup = (key) => procKb(child.pid, 'smaps_rollup', key);
    const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
    const gauge = (name, labels = '') => Number(new RegExp(`^${name}${labels ? `\\{${labels}\\}` : '(?:\\{[^}]*\\})?'} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const space = (name, what) => gauge(`nodejs_heap_space_size_${what}_bytes`, `space="${name}"`);
    return {
      cpuMsAtReady,
      rssMb: mb(rssKb * 1024),
      anonMb: mb(rollup('Anonymous') * 1024),
      fileMb: mb((rollup('Rss') - rollup('Anonymous')) * 1024),
      hwmMb: mb(procKb(child.pid, 'status', 'VmHWM') * 1024),
      heapUsedMb: mb(gauge('nodejs_heap_size_used_bytes')),
      heapTotalMb: mb(gauge('nodejs_heap_size_total_bytes')),
      newSpaceMb: mb(space('new', 'total')),
      oldSpaceMb: mb(space('old', 'total')),
      codeSpaceMb: mb(space('code', 'total')),
      externalMb: mb(gauge('nodejs_external_memory_bytes')),
    };
  } finally {
    child.kill('SIGKILL');
  }
}

const COLUMNS = ['cpuMsAtReady', 'rssMb', 'anonMb', 'fileMb', 'hwmMb', 'heapUsedMb', 'heapTotalMb', 'newSpaceMb', 'oldSpaceMb', 'codeSpaceMb', 'externalMb'];

async function main() {
  const dir = APIS > 0 ? await writeCache() : fs.mkdtempSync(path.join(os.tmpdir(), 'gw-bench-rss-'));
  const rows = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of variants) {
        const r = await boot(dir, variant);
        rows.push({ round, variant: variant.label, load: os.loadavg()[0].toFixed(1), ...r });
        console.log(JSON.stringify(rows.at(-1)));
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n${APIS} APIs (${MIX} mix), ${ROUNDS} rounds alternated, settled ${SETTLE_MS} ms after a scrape; MB, min–max over rounds\n`);
  console.log(`| variant | ${COLUMNS.join(' | ')} |`);
  console.log(`| --- |${COLUMNS.map(() => ' ---: |').join('')}`);
  for (const v of variants) {
    const mine = rows.filter((r) => r.variant === v.label);
    const cell = (k) => {
      const xs = mine.map((r) => r[k]);
      const lo = Math.min(...xs);
      const hi = Math.max(...xs);
      return lo === hi ? `${lo}` : `${lo}–${hi}`;
    };
    console.log(`| \`${v.label}\` | ${COLUMNS.map(cell).join(' | ')} |`);
  }
}

await main();
