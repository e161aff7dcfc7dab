// A fan-out to many streams over real gRPC goes through the send queue: in slices that
// yield to the event loop, every stream still gets the newest version, and a burst of
// versions coalesces for streams that were not yet served.
import * as grpc from '@grpc/grpc-js';
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { loadConfigProto, type ConfigResponse__Output } from '@gw/config-proto';
import { SnapshotCache } from '@gw/snapshot-cache';
import { waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigServer } from './config-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const state = (version: number) => snapshotOf([plainApi('a', '/a', [`http://10.0.0.${version % 250}:8080`])], version, 1);

/** A runtime that ACKs every response and remembers the versions it got. */
function runtime(address: string, id: string) {
  const Ctor = loadConfigProto().gateway.config.v1.ConfigDiscovery;
  const client = new Ctor(address, grpc.credentials.createInsecure());
  const call = client.StreamConfig();
  const versions: number[] = [];
  call.on('data', (r: ConfigResponse__Output) => {
    versions.push(r.version);
    call.write({ node: { id, zone: 'a' }, versionInfo: r.version, epoch: r.epoch, hash: r.hash, responseNonce: r.nonce });
  });
  call.on('error', () => undefined);
  call.write({ node: { id, zone: 'a' }, versionInfo: 0, epoch: 0, hash: '', responseNonce: '' });
  cleanups.push(() => {
    call.cancel();
    client.close();
  });
  return versions;
}

describe('ConfigServer fan-out', () => {
  it('sends a new version to every stream in slices that yield to the event loop', async () => {
    const cache = new SnapshotCache();
    cache.set(state(1));
    // A zero budget: one stream per slice, so the fan-out below must take one slice per stream.
    const fanOuts: number[] = [];
    const server = new ConfigServer({ cache, controllerId: 'ctl-1', zone: 'a', sendSliceMs: 0, admission: { perSecond: 1_000, burst: 1_000 }, onFanOut: (ms) => fanOuts.push(ms) });
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.close(200));
    const n = 12;
    const fleet = Array.from({ length: n }, (_, i) => runtime(`127.0.0.1:${port}`, `rt-${i}`));
    await waitFor('the fleet at v1', () => fleet.every((v) => v.at(-1) === 1), { timeoutMs: 10_000 });

    const before = server.sendQueueStats().slices;
    const fanOutsBefore = fanOuts.length;
    cache.set(state(2));
    // The publishing tick sent nothing: every stream waits for its turn (plus the fan-out timer's marker).
    expect(server.sendQueueStats().waiting).toBe(n + 1);
    let turnsBetween = 0;
    while (server.sendQueueStats().waiting > 0 && turnsBetween < 1_000) {
      await new Promise((r) => setImmediate(r));
      turnsBetween++;
    }
    expect(server.sendQueueStats().slices - before).toBeGreaterThanOrEqual(n);
    expect(turnsBetween).toBeGreaterThanOrEqual(n - 1);
    // One fan-out reported for the new snapshot, once every stream had its turn.
    expect(fanOuts.length - fanOutsBefore).toBe(1);
    expect(fanOuts.at(-1)).toBeGreaterThanOrEqual(0);
    await waitFor('the fleet at v2', () => fleet.every((v) => v.at(-1) === 2), { timeoutMs: 10_000 });
  });

  it('coalesces versions published before a stream’s turn: it gets only the newest', async () => {
    const cache = new SnapshotCache();
    cache.set(state(1));
    const server = new ConfigServer({ cache, controllerId: 'ctl-1', zone: 'a' });
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.close(200));
    const versions = runtime(`127.0.0.1:${port}`, 'rt-1');
    await waitFor('v1', () => versions.at(-1) === 1, { timeoutMs: 10_000 });
    // Three versions in one tick: the stream is queued once and sends what is newest at its turn.
    cache.set(state(2));
    cache.set(state(3));
    cache.set(state(4));
    await waitFor('v4', () => versions.at(-1) === 4, { timeoutMs: 10_000 });
    expect(versions).toEqual([1, 4]);
  });
});
