// Controller compile cost of one single-API change on top of 10,000 APIs (issue 13): the
// full path (read every row and open its secrets, compile every API) against the
// incremental path (read the (name, stamp) pairs and the changed row, recompile that
// API, re-check route claims, rebuild the state hash), side by side in one run on one
// temporary PostgreSQL database, with the controller's own code (built dist/). Every round
// checks that both paths give the same snapshot (version, hash, resources) and fails if not.
//
// Usage (from the repo root, after `npm run build`; PostgreSQL on TEST_DATABASE_URL or 127.0.0.1:5432):
//   node bench/compile.mjs                      # 10,000 APIs, 30 changes
//   APIS=1000 CHANGES=20 WARMUP=3 node bench/compile.mjs   # WARMUP rounds are left out of the figures
//   node bench/compile.mjs --json               # the figures as JSON on stdout
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { mixedApiDefinition } from './lib/api-mix.mjs';
import { percentile } from './lib/cluster.mjs';
import { compileSnapshot, IncrementalCompiler } from '../libs/controller/compiler/dist/index.js';
import { SecretKeyRing } from '../libs/controller/secret-seal/dist/index.js';
import { createApiStore, createDesiredStateSource } from '../libs/controller/store/dist/index.js';
import { createMigratedTempDatabase } from '../libs/controller/store/dist/testing/index.js';

const APIS = Number(process.env.APIS ?? 10_000);
const CHANGES = Number(process.env.CHANGES ?? 30);
/** Rounds run first and left out of the figures (JIT warm-up, the first reads). */
const WARMUP = Number(process.env.WARMUP ?? 3);
const json = process.argv.includes('--json');
const log = (msg) => {
  if (!json) console.log(msg);
};



async function main() {
  const d = await createMigratedTempDatabase({ poolMax: 2 });
  try {
    const secrets = new SecretKeyRing(randomBytes(32));
    const store = createApiStore(d.database.db, { secrets });
    const source = createDesiredStateSource(d.database.db, { secrets });
    let started = performance.now();
    for (let from = 0; from < APIS; from += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, APIS - from) }, (_, k) => mixedApiDefinition(from + k));
      await store.applyApis(batch, { actor: 'bench', prune: false, dryRun: false });
    }
    log(`seeded ${APIS} APIs in ${Math.round(performance.now() - started)} ms`);

    const compiler = new IncrementalCompiler();
    started = performance.now();
    const whole = await source.readDesiredStateDelta(new Map());
    compiler.reset({ version: whole.version, epoch: whole.epoch, apis: whole.changed });
    const stamps = new Map(whole.changed.map((api) => [api.definition.name, api.stamp]));
    log(`start-up (full read + compile into the incremental compiler): ${Math.round(performance.now() - started)} ms`);

    const rows = { fullRead: [], fullCompile: [], fullTotal: [], deltaRead: [], deltaCompile: [], deltaTotal: [] };
    for (let round = 0; round < WARMUP + CHANGES; round++) {
      // One single-API deploy: a new upstream target for one API.
      const i = (round * 7919) % APIS;
      await store.putApi(mixedApiDefinition(i, `http://10.0.${round % 250}.${1 + (round % 200)}:8080`), { actor: 'bench' });

      const keep = round >= WARMUP;
      let t0 = performance.now();
      const change = await source.readDesiredStateDelta(stamps);
      let t1 = performance.now();
      const incremental = compiler.apply(change);
      let t2 = performance.now();
      if (change.changed.length !== 1 || incremental === undefined) throw new Error(`expected one changed API, got ${change.changed.length}`);
      for (const api of change.changed) stamps.set(api.definition.name, api.stamp);
      if (keep) {
        rows.deltaRead.push(t1 - t0);
        rows.deltaCompile.push(t2 - t1);
        rows.deltaTotal.push(t2 - t0);
      }

      t0 = performance.now();
      const state = await store.readDesiredState();
      t1 = performance.now();
      const full = compileSnapshot(state);
      t2 = performance.now();
      if (keep) {
        rows.fullRead.push(t1 - t0);
        rows.fullCompile.push(t2 - t1);
        rows.fullTotal.push(t2 - t0);
      }

      if (JSON.stringify(full.snapshot) !== JSON.stringify(incremental.snapshot)) throw new Error(`round ${round}: the incremental snapshot differs from the full compile`);
    }

    const figures = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { p50: round1(percentile(v, 50)), p99: round1(percentile(v, 99)) }]));
    const result = { apis: APIS, changes: CHANGES, warmup: WARMUP, node: process.version, ms: figures };
    if (json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    log(`\none single-API change on top of ${APIS} APIs, ${CHANGES} changes after ${WARMUP} warm-up ones, ms (p50 / p99); snapshots identical every round\n`);
    log('| path | database read | compile | total |');
    log('| --- | ---: | ---: | ---: |');
    log(`| full (every row, every API) | ${f(figures.fullRead)} | ${f(figures.fullCompile)} | ${f(figures.fullTotal)} |`);
    log(`| incremental (pairs + changed rows) | ${f(figures.deltaRead)} | ${f(figures.deltaCompile)} | ${f(figures.deltaTotal)} |`);
    log(`\nspeed-up of the total at p50: ${(figures.fullTotal.p50 / figures.deltaTotal.p50).toFixed(1)}x`);
  } finally {
    await d.dispose();
  }
}

const round1 = (n) => Math.round(n * 10) / 10;
const f = (x) => `${x.p50} / ${x.p99}`;

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
