import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactDefinition, tryCompactDefinition, validateApiDefinition, type ApiDefinition } from './index.js';
import { definitionOf, plainApi } from './testing/index.js';
import { isJsonObject } from './json-object.js';
import { FIXTURES, RICH, SCHEMA, SMALLEST, branch, definitions, secret, typeOf, type Json } from './testing/definition-variations.js';

function revalidated(input: unknown): ApiDefinition {
  const result = validateApiDefinition(input);
  if (!result.ok) throw new Error(`compacted definition is invalid: ${JSON.stringify(result.problems)}`);
  return result.value;
}

/** Every member of `value` that still equals its field's schema `default` (JSON Pointers): what compaction must have removed. */
function defaultValued(value: unknown, node: Json, pointer: string, out: string[]): string[] {
  const shape = branch(node, typeOf(value));
  if (shape === undefined) return out;
  if (Array.isArray(value) && isJsonObject(shape['items'])) value.forEach((item, i) => defaultValued(item, shape['items'] as Json, `${pointer}/${i}`, out));
  if (!isJsonObject(value) || !isJsonObject(shape['properties'])) return out;
  for (const [key, member] of Object.entries(value)) {
    const sub = (shape['properties'] as Json)[key];
    if (!isJsonObject(sub)) continue;
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
