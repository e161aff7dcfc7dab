// A full compile (`compileSnapshot`) of bench/compile.mjs's mix, this build against an earlier
// one, alternated in one process (A/B, the first of each pair alternating), CPU time per
// compile; fails unless both give the same snapshot (every resource and the state hash).
// For scale, a third arm in the same rotation: the per-API work of the compile before
// compaction (one validation, every default written out: `apiResource`, as
// bench/config-size.mjs's "full"), whose output differs by design.
// In process, no database: the definitions are validated as the store keeps them.
//
// The earlier build is a copy of its two dist folders, its compiler importing its api-schema:
//   mkdir -p /tmp/before/api-schema /tmp/before/compiler
//   git stash   # or check out the earlier commit; then npm run build
//   cp -r libs/shared/api-schema/dist /tmp/before/api-schema/ && cp -r libs/controller/compiler/dist /tmp/before/compiler/
//   sed -i "s#'@gw/api-schema'#'../../api-schema/dist/index.js'#" /tmp/before/compiler/dist/*.js
//   git stash pop && npm run build
//   BEFORE=/tmp/before node bench/compile-ab.mjs        # APIS (10,000), ROUNDS (7)
// The copy must sit where Node finds this repo's node_modules from it (zod), e.g. under bench/.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { mixedApiDefinition } from './lib/api-mix.mjs';
import { validateApiDefinition } from '../libs/shared/api-schema/dist/index.js';
import { compileSnapshot as after } from '../libs/controller/compiler/dist/index.js';
import { apiResource, buildSnapshot } from '../libs/shared/config-contract/dist/index.js';

const BEFORE = process.env.BEFORE;
if (!BEFORE) throw new Error('BEFORE=<dir with api-schema/dist and compiler/dist of the earlier build> is required');
const { compileSnapshot: before } = await import(pathToFileURL(path.resolve(BEFORE, 'compiler/dist/index.js')).href);
const APIS = Number(process.env.APIS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const input = { version: 1, epoch: 1, apis: Array.from({ length: APIS }, (_, i) => ({ definition: mixedApiDefinition(i), revision: 1 })) };
const reference = JSON.stringify(before(input).snapshot);

/** Before compaction: each stored definition validated once, its resource every default written out. */
const uncompacted = ({ version, epoch, apis }) => ({ snapshot: buildSnapshot(version, epoch, apis.map((a) => apiResource(validateApiDefinition(a.definition).value, a.revision))) });

function measure(compile, check = true) {
  const cpu = process.cpuUsage();
  const snapshot = compile(input).snapshot;
  const used = process.cpuUsage(cpu);
  if (check && JSON.stringify(snapshot) !== reference) throw new Error('the two builds compile different snapshots');
  return (used.user + used.system) / 1000;
}

const arms = { before, after, 'uncompacted (for scale)': uncompacted };
const ms = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
measure(after); // warm-up of the second build; the first warmed up computing the reference
measure(uncompacted, false);
for (let i = 0; i < ROUNDS; i++) {
  const names = Object.keys(arms);
  const order = i % 2 === 0 ? names : [...names].reverse();
  for (const name of order) ms[name].push(measure(arms[name], name !== 'uncompacted (for scale)'));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(ms)) console.log(`${name}: CPU per full compile of ${APIS} APIs, median ${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))}), ${ROUNDS} rounds`);
console.log(`state hash (both): ${JSON.parse(reference).hash}`);
