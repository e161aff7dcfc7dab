// A full compile (`compileSnapshot`) of bench/compile.mjs's mix, this build against an earlier
// one, alternated in one process (A/B, the first of each pair alternating), CPU time per
// compile; fails unless both give the same snapshot (every resource and the state hash).
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
import { compileSnapshot as after } from '../libs/controller/compiler/dist/index.js';

const BEFORE = process.env.BEFORE;
if (!BEFORE) throw new Error('BEFORE=<dir with api-schema/dist and compiler/dist of the earlier build> is required');
const { compileSnapshot: before } = await import(pathToFileURL(path.resolve(BEFORE, 'compiler/dist/index.js')).href);
const APIS = Number(process.env.APIS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const input = { version: 1, epoch: 1, apis: Array.from({ length: APIS }, (_, i) => ({ definition: mixedApiDefinition(i), revision: 1 })) };
const reference = JSON.stringify(before(input).snapshot);

function measure(compile) {
  const cpu = process.cpuUsage();
  const snapshot = compile(input).snapshot;
  const used = process.cpuUsage(cpu);
  if (JSON.stringify(snapshot) !== reference) throw new Error('the two builds compile different snapshots');
  return (used.user + used.system) / 1000;
}

const ms = { before: [], after: [] };
measure(after); // warm-up of the second build; the first warmed up computing the reference
for (let i = 0; i < ROUNDS; i++) {
  const order = i % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  for (const name of order) ms[name].push(measure(name === 'before' ? before : after));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(ms)) console.log(`${name}: CPU per full compile of ${APIS} APIs, median ${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))}), ${ROUNDS} rounds`);
console.log(`state hash (both): ${JSON.parse(reference).hash}`);
