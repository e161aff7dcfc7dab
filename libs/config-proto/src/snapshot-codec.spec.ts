import { canonicalJson, hashSnapshotContent, type SnapshotContent } from '@gw/snapshot';
import { describe, expect, it } from 'vitest';
import { loadConfigProto } from './load-config-proto.js';
import { contentFromProto, contentToProto, snapshotFromResponse } from './snapshot-codec.js';

const content: SnapshotContent = {
  apis: [
    {
      name: 'orders',
      hosts: ['api.example.com'],
      basePath: '/orders',
      stripBasePath: true,
      upstream: { targets: [{ url: 'http://10.0.0.7:8080', weight: 3 }, { url: 'https://10.0.0.8/v2', weight: 1 }], connectTimeoutMs: 5000, requestTimeoutMs: 30000 },
    },
    {
      name: 'root',
      hosts: [],
      basePath: '/',
      stripBasePath: false,
      upstream: { targets: [{ url: 'http://10.0.0.9:80', weight: 1 }], connectTimeoutMs: 1, requestTimeoutMs: 1 },
    },
  ],
};

describe('snapshot codec', () => {
  it('round-trips through protobuf bytes to byte-identical canonical content (same hash)', () => {
    const proto = loadConfigProto();
    const hash = hashSnapshotContent(content);
    const response = { version: 42, epoch: 3, hash, nonce: 'n1', controllerId: 'c1', controllerZone: 'a', snapshot: contentToProto(content) };
    // Serialize and parse with the service's own (de)serializers: what really crosses the wire.
    const method = proto.gateway.config.v1.ConfigDiscovery.service.StreamConfig;
    const bytes = method.responseSerialize(response);
    const decoded = method.responseDeserialize(bytes);
    const snapshot = snapshotFromResponse(decoded);
    expect(snapshot.version).toBe(42);
    expect(snapshot.epoch).toBe(3);
    expect(canonicalJson(snapshot.content)).toBe(canonicalJson(content));
    expect(hashSnapshotContent(snapshot.content)).toBe(hash);
  });

  it('decodes a message with a missing upstream to content that has no targets', () => {
    const decoded = contentFromProto({ apis: [{ name: 'x', hosts: [], basePath: '/x', stripBasePath: true, upstream: null }] });
    expect(decoded.apis[0]!.upstream.targets).toEqual([]);
    expect(contentFromProto(null)).toEqual({ apis: [] });
  });
});
