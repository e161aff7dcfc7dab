// Route-match cost of the runtime's RouteTable at 10, 1,000 and 10,000 APIs: ns per
// match() on a mix of paths (hits under different base paths, with and without routes,
// misses), after a warm-up. Pure CPU: run it pinned to one core.
// Usage: node route-match.mjs [--json]
import { buildApiRoutes, buildRouteTable } from '../libs/runtime/routing/dist/index.js';
import { plainApi } from '../libs/shared/api-schema/dist/testing/index.js';

function table(count) {
  const apis = [];
  for (let i = 0; i < count; i++) {
    const name = `api-${String(i).padStart(5, '0')}`;
    // A third of the APIs have method/path routes (find-my-way), a third are host-bound.
    const routes = i % 3 === 0 ? [{ name: 'get-item', methods: ['GET'], path: '/items/:id', rateLimits: [] }, { name: 'create', methods: ['POST'], path: '/items', rateLimits: [] }] : [];
    const hosts = i % 3 === 1 ? [`h${i}.example.com`] : [];
    apis.push(plainApi(name, `/svc${i}/v1`, ['http://127.0.0.1:9'], { routes, hosts }));
  }
  return buildRouteTable(apis.map((definition) => ({ definition, router: buildApiRoutes(definition.routes) })));
}

function requests(count) {
  const out = [];
  for (let k = 0; k < 1_000; k++) {
    const i = (k * 7919) % count;
    const base = `/svc${i}/v1`;
    if (i % 3 === 0) out.push(['GET', undefined, `${base}/items/${k}`]);
    else if (i % 3 === 1) out.push(['GET', `h${i}.example.com`, `${base}/orders/${k}/lines`]);
    else out.push(['GET', 'gw.example.com', `${base}/x/${k}`]);
    if (k % 10 === 0) out.push(['GET', 'gw.example.com', `/nothing/${k}`]);
  }
  return out;
}

function measure(count) {
  const t = table(count);
  const reqs = requests(count);
  let sink = 0;
  const run = (n) => {
    for (let i = 0; i < n; i++) {
      const [m, h, p] = reqs[i % reqs.length];
      if (t.match(m, h, p) !== undefined) sink++;
    }
  };
  run(200_000); // warm-up (JIT)
  const samples = [];
  for (let round = 0; round < 7; round++) {
    const n = 500_000;
    const started = process.hrtime.bigint();
    run(n);
    samples.push(Number(process.hrtime.bigint() - started) / n);
  }
  samples.sort((a, b) => a - b);
  if (sink === 0) throw new Error('nothing matched');
  return { routes: count, nsPerMatch: Math.round(samples[3] * 10) / 10, min: Math.round(samples[0] * 10) / 10, max: Math.round(samples[6] * 10) / 10 };
}

const results = [10, 1_000, 10_000].map(measure);
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
else for (const r of results) console.log(`${String(r.routes).padStart(6)} APIs: ${r.nsPerMatch} ns/match (min ${r.min}, max ${r.max})`);
