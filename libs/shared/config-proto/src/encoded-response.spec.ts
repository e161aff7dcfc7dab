import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { describe, expect, it } from 'vitest';
import { configServiceWithSharedEncoding, EncodedConfigResponse, encodeConfigResponse } from './encoded-response.js';
import type { ConfigResponse__Output } from './generated/gateway/config/v1/ConfigResponse.js';
import { loadConfigProto } from './load-config-proto.js';
import { deltaFromResponse, resourcesToProto, snapshotFromResponse } from './snapshot-messages.js';

const decode = (bytes: Buffer) => loadConfigProto().gateway.config.v1.ConfigDiscovery.service.StreamConfig.responseDeserialize(bytes) as ConfigResponse__Output;

describe('responses encoded once', () => {
  const snapshot = snapshotOf([plainApi('orders', '/orders', ['http://10.0.0.7:8080']), plainApi('users', '/users', ['http://10.0.0.8:8080'])], 12, 3);
  const body = { version: 12, epoch: 3, hash: snapshot.hash, controllerId: 'c', controllerZone: 'z', resources: resourcesToProto(snapshot) };
  const serialize = configServiceWithSharedEncoding()['StreamConfig']!.responseSerialize;

  it('decode as the same response as one encoded whole, each stream with its own nonce', () => {
    const shared = encodeConfigResponse(body);
    const one = decode(serialize(new EncodedConfigResponse(shared, '1-1')));
    const two = decode(serialize(new EncodedConfigResponse(shared, '2-7')));
    expect(one).toEqual(decode(encodeConfigResponse({ ...body, nonce: '1-1' })));
    expect(two.nonce).toBe('2-7');
    expect(snapshotFromResponse(two)).toEqual({ version: 12, epoch: 3, hash: snapshot.hash, resources: snapshot.resources });
    // Plain objects still go through the method's own serializer.
    expect(decode(serialize({ ...body, nonce: 'n' }))).toEqual(decode(encodeConfigResponse({ ...body, nonce: 'n' })));
  });

  it('carry a delta: changed resources, removed keys, base hash', () => {
    const response = decode(
      serialize(new EncodedConfigResponse(encodeConfigResponse({ ...body, resources: resourcesToProto(snapshot).slice(1), delta: true, removedResources: [{ type: 'api', name: 'gone' }], baseHash: 'b' }), 'n')),
    );
    expect(response.delta).toBe(true);
    expect(deltaFromResponse(response)).toEqual({ version: 12, epoch: 3, hash: snapshot.hash, baseHash: 'b', changed: [snapshot.resources[1]], removed: [{ type: 'api', name: 'gone' }] });
    // A whole-state response says so: delta unset.
    expect(decode(encodeConfigResponse(body)).delta).toBe(false);
  });
});
