// The cost of validating API definitions (docs/decisions/0002-api-schema-library.md):
// zod 4 (the gateway's validateApiDefinition: structure, defaults, every code rule, our
// wording) against ajv 8 on the same generated JSON Schema with useDefaults (what a
// TypeBox + ajv declaration would run: structure and defaults only, no code rules), on the
// same definitions, several rounds, medians. Pure CPU: run it pinned to one core.
// Usage: taskset -c 1 node bench/schema-validation.mjs [--count 10000] [--rounds 5]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { Ajv2020 } = require('ajv/dist/2020.js');
const { apiDefinitionJsonSchema, validateApiDefinition } = await import(path.join(ROOT, 'libs/shared/api-schema/dist/index.js'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const COUNT = arg('count', 10_000);
const ROUNDS = arg('rounds', 5);

/** Definitions like the ones operators write: a third with routes, a third host-bound, every one with a rate limit. */
function definition(i) {
  return {
    name: `api-${i}`,
    basePath: `/svc${i}/v1`,
    ...(i % 3 === 1 ? { hosts: [`h${i}.example.com`] } : {}),
    ...(i % 3 === 0 ? { routes: [{ name: 'get', methods: ['GET'], path: '/items/:id' }, { name: 'create', methods: ['POST'], path: '/items' }] } : {}),
    upstream: { targets: [{ url: `http://10.0.${(i >> 8) & 255}.${i & 255}:8080` }, { url: 'http://b.internal:80', weight: 3 }], retries: { attempts: 1 } },
    policies: { rateLimits: [{ name: 'ip', limit: 100, windowMs: 1000 }] },
  };
}

const inputs = Array.from({ length: COUNT }, (_, i) => definition(i));
const validateAjv = new Ajv2020({ strict: false, allErrors: true, useDefaults: true }).compile(apiDefinitionJsonSchema());
const candidates = {
  'zod 4 (validateApiDefinition)': (x) => validateApiDefinition(x).ok,
  'ajv 8 on the same JSON Schema': (x) => validateAjv(x),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const [name, run] of Object.entries(candidates)) {
  const micros = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const copies = inputs.map((x) => structuredClone(x)); // ajv's useDefaults writes into its input
    const t0 = performance.now();
    let ok = 0;
    for (const x of copies) if (run(x)) ok++;
    const elapsed = performance.now() - t0;
    if (ok !== COUNT) throw new Error(`${name}: ${COUNT - ok} of ${COUNT} definitions refused`);
    if (round > 0) micros.push((elapsed * 1000) / COUNT); // round 0 warms up
  }
  results[name] = median(micros);
}
console.log(`${COUNT} definitions, ${ROUNDS} rounds, median µs per definition (Node ${process.version}):`);
for (const [name, us] of Object.entries(results)) console.log(`  ${name.padEnd(34)} ${us.toFixed(1)} µs  → ${((us * COUNT) / 1000).toFixed(0)} ms for all`);
