import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiDefinitionJsonSchema, compactDefinition, tryCompactDefinition, validateApiDefinition, type ApiDefinition } from './index.js';
import { definitionOf, plainApi } from './testing/index.js';

const SMALLEST = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
const secret = randomBytes(32).toString('base64url');

/** Every block on, most fields away from their defaults: the fixture the variations start from. */
const RICH = {
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
const FIXTURES: ApiDefinition[] = [definitionOf(SMALLEST), plainApi('plain', '/plain', ['http://10.0.0.7:8080', { url: 'http://10.0.0.8:8080', zone: 'b' }]), definitionOf(RICH as never)];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The branch of a JSON Schema node that describes a value of JSON type `type`. */
function branch(node: Json, type: string): Json | undefined {
  const declared = node['type'];
  if (declared === type || (type === 'integer' && declared === 'number')) return node;
  for (const b of (node['anyOf'] as Json[] | undefined) ?? []) {
    const found = branch(b, type);
    if (found !== undefined) return found;
  }
  return undefined;
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);

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
  if (Array.isArray(value) && isObject(shape['items'])) value.forEach((item, i) => fieldsOf(item, shape['items'] as Json, [...path, i], out));
  if (!isObject(value) || !isObject(shape['properties'])) return out;
  for (const [key, member] of Object.entries(value)) {
    const sub = (shape['properties'] as Json)[key];
    if (!isObject(sub)) continue;
    const at = [...path, key];
    const options: fc.Arbitrary<{ omit: true } | { value: unknown }>[] = [fc.constant({ value: member })];
    if ('default' in sub || 'x-default' in sub) options.push(fc.constant({ omit: true as const }));
    if ('default' in sub) options.push(fc.constant({ value: structuredClone(sub['default']) }));
    if (branch(sub, 'null') !== undefined) options.push(fc.constant({ value: null }));
    if (branch(sub, 'object') !== undefined) options.push(fc.constant({ value: isObject(member) ? member : {} }), fc.constant({ value: {} }));
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
  for (const key of path.slice(0, -1)) node = isObject(node) || Array.isArray(node) ? (node as Json)[key as string] : undefined;
  // A parent already set to null or left out: nothing to vary below it.
  if (!isObject(node)) return;
  const last = path[path.length - 1] as string;
  if ('omit' in choice) delete node[last];
  else node[last] = structuredClone(choice.value);
}

const SCHEMA = apiDefinitionJsonSchema();

/** Valid definitions: a fixture with a random subset of its fields varied as the schema allows, then validated. */
const definitions = fc
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
    return validateApiDefinition(input);
  })
  .filter((r): r is { ok: true; value: ApiDefinition } => r.ok)
  .map((r) => r.value);

function revalidated(input: unknown): ApiDefinition {
  const result = validateApiDefinition(input);
  if (!result.ok) throw new Error(`compacted definition is invalid: ${JSON.stringify(result.problems)}`);
  return result.value;
}

/** Every member of `value` that still equals its field's schema `default` (JSON Pointers): what compaction must have removed. */
function defaultValued(value: unknown, node: Json, pointer: string, out: string[]): string[] {
  const shape = branch(node, typeOf(value));
  if (shape === undefined) return out;
  if (Array.isArray(value) && isObject(shape['items'])) value.forEach((item, i) => defaultValued(item, shape['items'] as Json, `${pointer}/${i}`, out));
  if (!isObject(value) || !isObject(shape['properties'])) return out;
  for (const [key, member] of Object.entries(value)) {
    const sub = (shape['properties'] as Json)[key];
    if (!isObject(sub)) continue;
    if ('default' in sub && JSON.stringify(member) === JSON.stringify(sub['default'])) out.push(`${pointer}/${key}`);
    defaultValued(member, sub, `${pointer}/${key}`, out);
  }
  return out;
}

describe('compactDefinition', () => {
  it('reduces the smallest definition to what the operator wrote', () => {
    const full = definitionOf(SMALLEST);
    expect(compactDefinition(full)).toEqual(SMALLEST);
    expect(JSON.stringify(compactDefinition(full)).length).toBeLessThan(JSON.stringify(full).length / 5);
  });

  it('keeps what differs from a default: a block off where on is the default, a block on where off is the default', () => {
    const full = definitionOf({ ...SMALLEST, upstream: { ...SMALLEST.upstream, healthCheck: {}, outlierDetection: null, circuitBreaker: null } });
    expect(compactDefinition(full)).toEqual({ ...SMALLEST, upstream: { ...SMALLEST.upstream, healthCheck: {}, outlierDetection: null, circuitBreaker: null } });
    expect(revalidated(compactDefinition(full))).toEqual(full);
  });

  it('leaves a derived default out only when validation derives the same value', () => {
    const derived = definitionOf({ ...SMALLEST, upstream: { ...SMALLEST.upstream, timeouts: { requestMs: 90_000 }, retries: { backoffBaseMs: 500 } } });
    expect(derived.upstream.timeouts.totalMs).toBe(90_000);
    expect(compactDefinition(derived)).toEqual({ ...SMALLEST, upstream: { ...SMALLEST.upstream, timeouts: { requestMs: 90_000 }, retries: { backoffBaseMs: 500 } } });

    const given = definitionOf({ ...SMALLEST, upstream: { ...SMALLEST.upstream, timeouts: { requestMs: 5_000, totalMs: 10_000 } } });
    expect(compactDefinition(given)).toEqual({ ...SMALLEST, upstream: { ...SMALLEST.upstream, timeouts: { requestMs: 5_000, totalMs: 10_000 } } });
    expect(revalidated(compactDefinition(given))).toEqual(given);
  });

  it('drops the "off" of every policy that is off by default, and the defaults inside each policy that is on', () => {
    const off = definitionOf({ ...SMALLEST, policies: { cors: null, auth: null, rateLimits: [], idempotency: null } });
    expect(compactDefinition(off)).toEqual(SMALLEST);

    const cors = definitionOf({ ...SMALLEST, policies: { cors: { allowOrigins: ['https://app.example.com'] } } });
    expect(compactDefinition(cors)).toEqual({ ...SMALLEST, policies: { cors: { allowOrigins: ['https://app.example.com'] } } });

    const apiKey = definitionOf({ ...SMALLEST, policies: { auth: { apiKey: { keys: [{ sha256: 'c'.repeat(64), consumer: 'carol' }] } } } });
    expect(compactDefinition(apiKey)).toEqual({ ...SMALLEST, policies: { auth: { apiKey: { keys: [{ sha256: 'c'.repeat(64), consumer: 'carol' }] } } } });

    const jwt = definitionOf({ ...SMALLEST, policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: secret }] } } } });
    expect(compactDefinition(jwt)).toEqual({ ...SMALLEST, policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: secret }] } } } });

    // `burst` defaults to `limit`: derived, left out when equal.
    const limits = definitionOf({ ...SMALLEST, policies: { rateLimits: [{ name: 'ip', limit: 100, windowMs: 1_000 }, { name: 'burst', limit: 10, windowMs: 1_000, burst: 20 }] } });
    expect(compactDefinition(limits)).toEqual({ ...SMALLEST, policies: { rateLimits: [{ name: 'ip', limit: 100, windowMs: 1_000 }, { name: 'burst', limit: 10, windowMs: 1_000, burst: 20 }] } });

    // `lockTtlMs` is derived from the upstream's totalMs across blocks.
    const idempotency = definitionOf({ ...SMALLEST, upstream: { ...SMALLEST.upstream, timeouts: { totalMs: 200_000 } }, policies: { idempotency: {} } });
    expect(idempotency.policies.idempotency?.lockTtlMs).toBe(201_000);
    expect(compactDefinition(idempotency)).toEqual({ ...SMALLEST, upstream: { ...SMALLEST.upstream, timeouts: { totalMs: 200_000 } }, policies: { idempotency: {} } });
  });

  it('keeps defaults inside array items out (targets, routes, rate limits, API keys)', () => {
    const full = definitionOf({
      ...SMALLEST,
      upstream: { targets: [{ url: 'http://10.0.0.7:8080', weight: 1, zone: null }, { url: 'http://10.0.0.8:8080', weight: 2 }] },
      routes: [{ name: 'r', methods: [], path: '/r', rateLimits: [{ name: 'l', limit: 1, windowMs: 1, key: { by: 'ip' }, scope: 'global', failureMode: 'open' }] }],
    });
    expect(compactDefinition(full)).toEqual({
      ...SMALLEST,
      upstream: { targets: [{ url: 'http://10.0.0.7:8080' }, { url: 'http://10.0.0.8:8080', weight: 2 }] },
      routes: [{ name: 'r', path: '/r', rateLimits: [{ name: 'l', limit: 1, windowMs: 1 }] }],
    });
  });

  it('gives every fixture back exactly when validated again, smaller', () => {
    for (const full of FIXTURES) {
      const compact = compactDefinition(full);
      expect(revalidated(compact)).toEqual(full);
      expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(full).length);
    }
  });

  it('tryCompactDefinition compacts only a definition validation gives back unchanged', () => {
    const full = definitionOf(RICH as never);
    expect(tryCompactDefinition(full)).toEqual(compactDefinition(full));
    // A row written before a field existed: valid, but validation adds the field.
    const { zone: _zone, ...olderTarget } = full.upstream.targets[0]!;
    expect(tryCompactDefinition({ ...full, upstream: { ...full.upstream, targets: [olderTarget, ...full.upstream.targets.slice(1)] } })).toBeUndefined();
    // Not normalized (upper-case host), and not valid at all.
    expect(tryCompactDefinition({ ...full, hosts: ['API.example.com'] })).toBeUndefined();
    expect(tryCompactDefinition({ ...full, basePath: 'no-slash' })).toBeUndefined();
  });

  it('property: for every valid definition d, validate(compact(d)) equals d, and no member equals its default', () => {
    fc.assert(
      fc.property(definitions, (d) => {
        // The premise: validation gives a validated definition back unchanged.
        expect(revalidated(d)).toEqual(d);
        const compact = compactDefinition(d);
        expect(revalidated(compact)).toEqual(d);
        expect(tryCompactDefinition(d)).toEqual(compact);
        expect(defaultValued(compact, SCHEMA, '', [])).toEqual([]);
        expect(JSON.stringify(compact).length).toBeLessThanOrEqual(JSON.stringify(d).length);
      }),
      { numRuns: 300 },
    );
  });
});
