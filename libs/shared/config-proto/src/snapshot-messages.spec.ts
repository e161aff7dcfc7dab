import { plainApi } from '@gw/api-schema/testing';
import { verifySnapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { describe, expect, it } from 'vitest';
import { loadConfigProto } from './load-config-proto.js';
import { resourcesToProto, snapshotFromResponse } from './snapshot-messages.js';
import type { ConfigResponse__Output } from './generated/gateway/config/v1/ConfigResponse.js';

/** Through real protobuf bytes, as the controller writes and the runtime reads them. */
function overTheWire(response: object): ConfigResponse__Output {
  const method = loadConfigProto().gateway.config.v1.ConfigDiscovery.service.StreamConfig;
  return method.responseDeserialize(method.responseSerialize(response as never)) as ConfigResponse__Output;
}

describe('config responses on the wire', () => {
  it('carry every resource byte for byte, so the runtime verifies the same hashes', () => {
    const snapshot = snapshotOf(
      [plainApi('orders', '/orders', ['http://10.0.0.7:8080'], { hosts: ['api.example.com'], routes: [{ name: 'r', methods: ['GET'], path: '/:id', rateLimits: [] }] }), plainApi('users', '/users', ['http://10.0.0.8:8080'])],
      12,
      3,
    );
    const received = snapshotFromResponse(overTheWire({ version: 12, epoch: 3, hash: snapshot.hash, nonce: 'n', controllerId: 'c', controllerZone: 'z', resources: resourcesToProto(snapshot) }));
    expect(received).toEqual({ version: 12, epoch: 3, hash: snapshot.hash, resources: snapshot.resources });
    expect(verifySnapshot(received)).toEqual({ ok: true });
  });

  it('decode an empty config as no resources', () => {
    const snapshot = snapshotOf([], 0, 1);
    const received = snapshotFromResponse(overTheWire({ version: 0, epoch: 1, hash: snapshot.hash, nonce: 'n', controllerId: 'c', controllerZone: 'z', resources: [] }));
    expect(received.resources).toEqual([]);
    expect(verifySnapshot(received)).toEqual({ ok: true });
  });
});
