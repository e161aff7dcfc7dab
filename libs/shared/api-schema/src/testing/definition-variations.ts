// Definition variations for property tests (compact-definition.spec.ts, validate-api-definition.spec.ts):
// fixtures with a random subset of their fields varied as the JSON Schema allows. Not exported from
// `testing/index.ts`: it needs fast-check, a dev dependency.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { apiDefinitionJsonSchema, validateApiDefinition, type ApiDefinition } from '../index.js';
import { definitionOf, plainApi } from './index.js';
import { isJsonObject } from '../json-object.js';

export const SMALLEST = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
export const secret = randomBytes(32).toString('base64url');

/** Every block on, most fields away from their defaults: the fixture the variations start from. */
export const RICH = {
  name: 'rich',
  basePath: '/rich',
  hosts: ['api.example.com', '*.example.org'],
  stripBasePath: false,
  routes: [
    { name: 'get-item', methods: ['GET'], path: '/items/:id', rateLimits: [{ name: 'r', limit: 5, windowMs: 1_000, scope: 'local' }] },
    { name: 'all', path: '/all/*' },
  ],
  upstream: {
    targets: [{ url: 'http://10.0.0.1:8080', weight: 3, zone: 'a' }, { url: 'https://b.example.com' }],
    loadBalancing: { algorithm: 'consistent-hash', hashOn: { header: 'x-user' }, minZoneHealthyPercent: 40 },
    timeouts: { connectMs: 2_000, requestMs: 70_000, streamIdleMs: 1_000 },
    retries: { attempts: 3, on: ['timeout', '500'], backoffBaseMs: 300, budgetPercent: 50, minRetryConcurrency: 7 },
    healthCheck: { path: '/ready', intervalMs: 500, healthyThreshold: 4 },
    outlierDetection: { baseEjectionMs: 400_000, maxEjectionPercent: 30 },
    circuitBreaker: { maxConcurrent: 64, openMs: 1_000 },
    hostRewrite: 'internal.example.com',
  },
  policies: {
    consumerHeader: 'x-consumer',
    cors: { allowOrigins: ['https://app.example.com'], allowHeaders: ['authorization'], allowCredentials: true, maxAgeSec: 60 },
    auth: {
      apiKey: { in: { query: 'api_key' }, forward: true, keys: [{ id: 'k1', sha256: 'a'.repeat(64), consumer: 'alice' }, { sha256: 'b'.repeat(64), consumer: 'bob' }] },
      jwt: { keys: [{ ...rsa, kid: 'rs-1' }, { kty: 'oct', kid: 'hs-1', k: secret }], jwksUrl: 'https://idp.example/jwks.json', issuers: ['https://idp.example'], clockSkewSec: 5, requireExp: false },
      allowConsumers: ['alice'],
    },
    rateLimits: [
      { name: 'ip', limit: 100, windowMs: 1_000, burst: 150, key: { by: 'header', name: 'x-tenant' }, failureMode: 'closed' },
      { name: 'consumer', limit: 10, windowMs: 60_000, key: { by: 'consumer' } },
    ],
    idempotency: { required: true, methods: ['POST'], ttlMs: 3_600_000 },
  },
};

/** The fixtures the variations start from: the smallest definition, the test kit's `plainApi` (everything off), and RICH. */
export const FIXTURES: ApiDefinition[] = [definitionOf(SMALLEST), plainApi('plain', '/plain', ['http://10.0.0.7:8080', { url: 'http://10.0.0.8:8080', zone: 'b' }]), definitionOf(RICH as never)];

export type Json = Record<string, unknown>;

/** The branch of a JSON Schema node that describes a value of JSON type `type`. */
export function branch(node: Json, type: string): Json | undefined {
  const declared = node['type'];
  if (declared === type || (type === 'integer' && declared === 'number')) return node;
  for (const b of (node['anyOf'] as Json[] | undefined) ?? []) {
    const found = branch(b, type);
    if (found !== undefined) return found;
  }
  return undefined;
}

export const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);

/** One field of a fixture and what the schema allows there: the unit a variation changes. */
interface Field {
  path: (string | number)[];
  choices: fc.Arbitrary<{ omit: true } | { value: unknown }>;
}

/**
 * Every field of `definition`, read against the JSON Schema (the same one compaction
 * walks), with the values the schema suggests for it: left out when it has a default,
 * its default, `null` and `{}` where the schema allows them, any integer in its range,
 * either boolean, any enum member, or the fixture's own value.
 */
function fieldsOf(value: unknown, node: Json, path: (string | number)[], out: Field[]): Field[] {
  const shape = branch(node, typeOf(value));
  if (shape === undefined) return out;
  if (Array.isArray(value) && isJsonObject(shape['items'])) value.forEach((item, i) => fieldsOf(item, shape['items'] as Json, [...path, i], out));
  if (!isJsonObject(value) || !isJsonObject(shape['properties'])) return out;
  for (const [key, member] of Object.entries(value)) {
    const sub = (shape['properties'] as Json)[key];
    if (!isJsonObject(sub)) continue;
    const at = [...path, key];
    const options: fc.Arbitrary<{ omit: true } | { value: unknown }>[] = [fc.constant({ value: member })];
    if ('default' in sub || 'x-default' in sub) options.push(fc.constant({ omit: true as const }));
    if ('default' in sub) options.push(fc.constant({ value: structuredClone(sub['default']) }));
    if (branch(sub, 'null') !== undefined) options.push(fc.constant({ value: null }));
    if (branch(sub, 'object') !== undefined) options.push(fc.constant({ value: isJsonObject(member) ? member : {} }), fc.constant({ value: {} }));
    const integer = branch(sub, 'integer');
    if (integer !== undefined) {
      const min = typeof integer['minimum'] === 'number' ? integer['minimum'] : 0;
      const max = typeof integer['maximum'] === 'number' ? integer['maximum'] : 1_000_000;
      options.push(fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max })).map((v) => ({ value: v })));
    }
    if (branch(sub, 'boolean') !== undefined) options.push(fc.boolean().map((v) => ({ value: v })));
    const strings = branch(sub, 'string');
    if (strings !== undefined && Array.isArray(strings['enum'])) options.push(fc.constantFrom(...(strings['enum'] as unknown[])).map((v) => ({ value: v })));
    out.push({ path: at, choices: fc.oneof(...options) });
    fieldsOf(member, sub, at, out);
  }
  return out;
}

function setAt(root: Json, path: readonly (string | number)[], choice: { omit: true } | { value: unknown }): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = isJsonObject(node) || Array.isArray(node) ? (node as Json)[key as string] : undefined;
  // A parent already set to null or left out: nothing to vary below it.
  if (!isJsonObject(node)) return;
  const last = path[path.length - 1] as string;
  if ('omit' in choice) delete node[last];
  else node[last] = structuredClone(choice.value);
}

export const SCHEMA = apiDefinitionJsonSchema();

/** Inputs: a fixture with a random subset of its fields varied as the schema allows (valid or not). */
export const variedInputs: fc.Arbitrary<unknown> = fc
  .constantFrom(...FIXTURES)
  .chain((fixture) => {
    const fields = fieldsOf(fixture, SCHEMA, [], []);
    return fc.tuple(fc.constant(fixture), fc.tuple(...fields.map((f) => fc.option(f.choices, { freq: 3 }))), fc.constant(fields));
  })
  .map(([fixture, choices, fields]) => {
    const input = structuredClone(fixture) as unknown as Json;
    // Parents first: the list is in walk order, so a block set to null hides its fields' variations.
    choices.forEach((choice, i) => {
      if (choice !== null) setAt(input, fields[i]!.path, choice);
    });
    return input;
  });

/** Valid definitions: the varied inputs that validate, validated. */
export const definitions: fc.Arbitrary<ApiDefinition> = variedInputs
  .map((input) => validateApiDefinition(input))
  .filter((r): r is { ok: true; value: ApiDefinition } => r.ok)
  .map((r) => r.value);

/** Inputs with one field of a fixture replaced by any JSON value (mostly invalid ones), or a varied input as it is. */
export const damagedInputs: fc.Arbitrary<unknown> = fc.oneof(
  variedInputs,
  fc
    .constantFrom(...FIXTURES)
    .chain((fixture) => {
      const fields = fieldsOf(fixture, SCHEMA, [], []);
      return fc.tuple(fc.constant(fixture), fc.constantFrom(...fields), fc.jsonValue({ maxDepth: 2 }));
    })
    .map(([fixture, field, value]) => {
      const input = structuredClone(fixture) as unknown as Json;
      setAt(input, field.path, { value });
      return input;
    }),
);
