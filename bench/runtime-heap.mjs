// Live V8 heap a runtime's config takes per API (issue 13, item 5), in one process, with the
// runtime's own code (built dist/): `RuntimeState.apply` of APIS resources (those of
// `npm run bench:config`, or MIX=mixed), heap used after forced full GCs before and after.
// The resources themselves (canonical JSON, ~1 KB each) are built before the first figure
// and so are left out. With USE=1 every API's upstream then serves one request's worth of
// calls (pick, try, outcome, breaker, retry budget): what an API that saw traffic holds.
//
// Usage (after `npm run build`; --expose-gc is required):
//   npx node --expose-gc bench/runtime-heap.mjs
//   npx node --expose-gc bench/runtime-heap.mjs ../gw-before     # another checkout's build, for before/after
//   USE=1 npx node --expose-gc bench/runtime-heap.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] ?? path.join(bench, '..'));
const APIS = Number(process.env.APIS ?? 10_000);
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const { configBenchApiDefinition, mixedApiDefinition } = await import(path.join(bench, 'lib/api-mix.mjs'));
const { apiResource, buildSnapshot } = await import(path.join(root, 'libs/shared/config-contract/dist/index.js'));
const { RuntimeState } = await import(path.join(root, 'libs/runtime/runtime-config/dist/index.js'));
const { testServices } = await import(path.join(root, 'libs/runtime/runtime-config/dist/testing/index.js'));

const definition = process.env.MIX === 'mixed' ? mixedApiDefinition : configBenchApiDefinition;
const snapshot = buildSnapshot(1, 1, Array.from({ length: APIS }, (_, i) => apiResource(definition(i), 1)));
const heapUsed = () => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};
const before = heapUsed();
const state = new RuntimeState({ maxApis: Number.POSITIVE_INFINITY, services: testServices() });
const cpu = process.cpuUsage();
const verdict = state.apply(snapshot, 'controller');
const { user, system } = process.cpuUsage(cpu);
if (!verdict.ok) throw new Error(`apply refused: ${verdict.code} ${verdict.message}`);
if (process.env.USE === '1') {
  for (const api of state.getConfig().apis.values()) {
    const up = api.upstream;
    const i = up.pick(undefined, undefined);
    up.tryStarted(i);
    up.breaker?.tryAcquire();
    up.retryBudget.requestStarted();
    up.retryOn.status(503);
    void up.targets[i].origin;
    up.report(i, true);
    up.tryEnded(i);
    up.retryBudget.requestEnded();
    up.breaker?.release();
  }
}
const after = heapUsed();
console.log(JSON.stringify({ root, apis: APIS, mix: process.env.MIX ?? 'config', used: process.env.USE === '1', heapMb: Math.round((after - before) / 104857.6) / 10, bytesPerApi: Math.round((after - before) / APIS), applyCpuMs: Math.round((user + system) / 1000) }));
globalThis.keep = [state, snapshot];
