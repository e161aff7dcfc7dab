// The API definition mix the in-process benches share (bench/compile.mjs, bench/runtime-apply.mjs):
// a third with routes, a third host-bound, one in ten with a JWT key (a secret, sealed where the
// bench seals) and a rate limit. One declaration, so both measure the same definitions.
import { randomBytes } from 'node:crypto';
import { validateApiDefinition } from '../../libs/shared/api-schema/dist/index.js';
import { plainApi } from '../../libs/shared/api-schema/dist/testing/index.js';

/** API number `i` of the mix, validated (every default filled in). */
export function mixedApiDefinition(i, target = 'http://10.0.0.7:8080') {
  const name = `api-${String(i).padStart(5, '0')}`;
  const routes = i % 3 === 0 ? [{ name: 'get-item', methods: ['GET'], path: '/items/:id' }, { name: 'create', methods: ['POST'], path: '/items' }] : [];
  const hosts = i % 3 === 1 ? [`h${i}.example.com`] : [];
  const policies = i % 10 === 0 ? { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: randomBytes(32).toString('base64url') }] } }, rateLimits: [{ name: 'ip', limit: 100, windowMs: 1000 }] } : {};
  const base = plainApi(name, `/svc${i}/v1`, [target], { routes, hosts });
  const checked = validateApiDefinition({ ...base, policies: { ...base.policies, ...policies } });
  if (!checked.ok) throw new Error(`${name}: ${JSON.stringify(checked.problems)}`);
  return checked.value;
}

/**
 * API number `i` as `npm run bench:config` deploys it (bench/config.mjs): a third with two
 * routes, a third host-bound, the rest a plain prefix, everything else the schema's defaults
 * (retries, outlier detection and the circuit breaker on), validated.
 */
export function configBenchApiDefinition(i, target = 'http://10.0.0.7:8080') {
  const api = { name: `api-${String(i).padStart(5, '0')}`, basePath: `/svc${i}/v1`, upstream: { targets: [{ url: target }] } };
  if (i % 3 === 0) api.routes = [{ name: 'get-item', methods: ['GET'], path: '/items/:id' }, { name: 'create', methods: ['POST'], path: '/items' }];
  if (i % 3 === 1) api.hosts = [`h${i}.example.com`];
  const checked = validateApiDefinition(api);
  if (!checked.ok) throw new Error(`${api.name}: ${JSON.stringify(checked.problems)}`);
  return checked.value;
}
