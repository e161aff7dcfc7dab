import { plainApi } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { apiResource, contentHash } from './config-resource.js';
import { buildSnapshot, stateHash, verifySnapshot } from './config-snapshot.js';

const orders = apiResource(plainApi('orders', '/orders', ['http://10.0.0.7:8080']), 3);
const users = apiResource(plainApi('users', '/users', ['http://10.0.0.8:8080']), 1);

describe('config snapshots', () => {
  it('sort resources, derive the state hash from resource hashes only, and verify', () => {
    const snapshot = buildSnapshot(7, 1, [users, orders]);
    expect(snapshot.resources.map((r) => r.name)).toEqual(['orders', 'users']);
    expect(snapshot.hash).toBe(stateHash([orders, users]));
    expect(verifySnapshot(snapshot)).toEqual({ ok: true });
    // Versions (fleet and revisions) are not part of the hash: the same content, the same hash.
    expect(buildSnapshot(8, 1, [{ ...orders, version: 4 }, users]).hash).toBe(snapshot.hash);
    expect(Object.isFrozen(snapshot) && Object.isFrozen(snapshot.resources)).toBe(true);
  });

  it('hash the empty config too', () => {
    const empty = buildSnapshot(0, 1, []);
    expect(empty.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySnapshot(empty)).toEqual({ ok: true });
  });

  it('refuse content that does not hash to its announced hash, and a state hash that does not match', () => {
    const tampered = { ...orders, content: orders.content.replace('10.0.0.7', '10.6.6.6') };
    expect(verifySnapshot({ version: 1, epoch: 1, hash: stateHash([tampered]), resources: [tampered] })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    const rehashed = { ...tampered, hash: contentHash(tampered.content) };
    expect(verifySnapshot({ version: 1, epoch: 1, hash: stateHash([orders]), resources: [rehashed] })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH', message: expect.stringContaining('announced') });
  });

  it('refuse resources out of order or named twice', () => {
    for (const resources of [[users, orders], [orders, orders]]) {
      expect(verifySnapshot({ version: 1, epoch: 1, hash: stateHash(resources), resources })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
    }
  });
});
