import { compactDefinition, type ApiDefinition } from '@gw/api-schema';
import { definitionOf } from '@gw/api-schema/testing';
import { definitions } from '@gw/api-schema/testing/variations';
import { API_RESOURCE_TYPE, buildSnapshot, canonicalJson, contentHash, type ConfigResource } from '@gw/config-contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRuntimeConfig, decodeDefinitions, encodeDefinitions, type RuntimeConfig } from './runtime-config.js';
import { testServices } from './testing/index.js';

/** The resource a controller sends for `content` (compact canonical JSON, as compileApi makes it). */
function resourceOf(name: string, content: unknown): ConfigResource {
  const text = canonicalJson(content);
  return { type: API_RESOURCE_TYPE, name, version: 1, hash: contentHash(text), content: text };
}

/** What the disk cache keeps of a built config's definitions and reads back: by content hash, each shared block once, through JSON. */
function decodedOf(config: RuntimeConfig): Map<string, unknown> {
  const encoded = JSON.parse(JSON.stringify(encodeDefinitions([...config.apis.values()].map((api) => [api.hash, api.definition] as const)))) as ReturnType<typeof encodeDefinitions>;
  return decodeDefinitions(encoded.blocks, encoded.values);
}

function built(resources: ConfigResource[], options: Parameters<typeof buildRuntimeConfig>[3]): RuntimeConfig {
  const verdict = buildRuntimeConfig(buildSnapshot(1, 1, resources), undefined, testServices(), options);
  if (!verdict.ok) throw new Error(`${verdict.code}: ${verdict.message}`);
  return verdict.config;
}

const ORDERS = definitionOf({ name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } });

describe('buildRuntimeConfig with definitions decoded before (the disk cache)', () => {
  it('property: a definition decoded before gives exactly the config the full decode gives', () => {
    fc.assert(
      fc.property(definitions, (definition: ApiDefinition) => {
        const resources = [resourceOf(definition.name, compactDefinition(definition))];
        const full = built(resources, { contentVerified: true });
        const fast = built(resources, { contentVerified: true, decoded: decodedOf(full) });
        const [a, b] = [full.apis.get(definition.name)!, fast.apis.get(definition.name)!];
        expect(b.definition).toStrictEqual(a.definition);
        expect(b.definition).toStrictEqual(definition);
        expect(Object.isFrozen(b.definition) && Object.isFrozen(b.definition.upstream)).toBe(true);
        expect(b.upstream.definition).toStrictEqual(a.upstream.definition);
        expect(fast.snapshot).toStrictEqual(full.snapshot);
        expect(b.router === undefined).toBe(a.router === undefined);
      }),
      { numRuns: 150 },
    );
  });

  it('takes a decoded definition only for verified content, the same hash and the same name; anything else is decoded in full', () => {
    // Content this build refuses (an unknown field), hashed correctly: only a decode refuses it.
    const unknown = resourceOf('orders', { ...compactDefinition(ORDERS), futureField: true });
    const decoded = new Map<string, unknown>([[unknown.hash, ORDERS]]);
    // Verified content with a decoded definition for its hash: taken (the cache's loader verified the hash, and the same build decoded it).
    expect(built([unknown], { contentVerified: true, decoded }).apis.get('orders')!.definition).toStrictEqual(ORDERS);
    // Content not verified by the caller: decoded in full, and refused.
    expect(buildRuntimeConfig(buildSnapshot(1, 1, [unknown]), undefined, testServices(), { decoded })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_UNSUPPORTED' });
    // No entry for this hash: decoded in full, and refused.
    const other = new Map<string, unknown>([['f'.repeat(64), ORDERS]]);
    expect(buildRuntimeConfig(buildSnapshot(1, 1, [unknown]), undefined, testServices(), { contentVerified: true, decoded: other })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_UNSUPPORTED' });
    // An entry for another API's name: decoded in full, and refused.
    const renamed = new Map<string, unknown>([[unknown.hash, { ...ORDERS, name: 'users' }]]);
    expect(buildRuntimeConfig(buildSnapshot(1, 1, [unknown]), undefined, testServices(), { contentVerified: true, decoded: renamed })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_UNSUPPORTED' });
  });
});
