// A resync storm (a replica died, its runtimes reconnect here) is admitted at a bounded
// rate: the gate alone, then a real gRPC ConfigServer with many streams at once.
import * as grpc from '@grpc/grpc-js';
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { loadConfigProto, type ConfigRequest, type ConfigResponse__Output } from '@gw/config-proto';
import { SnapshotCache } from '@gw/snapshot-cache';
import { waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionGate } from './admission-gate.js';
import { ConfigServer } from './config-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('AdmissionGate', () => {
  it('admits a burst at once, then no faster than the rate, first come first served', async () => {
    const gate = new AdmissionGate({ perSecond: 20, burst: 2 });
    cleanups.push(() => gate.close());
    const order: number[] = [];
    const started = performance.now();
    const all = Array.from({ length: 10 }, (_, i) => gate.admit().then((ok) => ok && order.push(i)));
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect(gate.waiting).toBe(8);
    await Promise.all(all);
    // 8 more tokens at 20/s: at least 8 × 50 ms less one interval of slack for the first refill.
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(gate.admitted).toBe(10);
  });

  it('lets a waiter that gave up go without spending a token, and answers false on close', async () => {
    const gate = new AdmissionGate({ perSecond: 5, burst: 1 });
    expect(await gate.admit()).toBe(true);
    let gone = false;
    const cancelled = gate.admit(() => gone);
    const next = gate.admit();
    gone = true;
    expect(await cancelled).toBe(false);
    expect(await next).toBe(true);
    expect(gate.admitted).toBe(2);
    const late = gate.admit();
    gate.close();
    expect(await late).toBe(false);
    expect(await gate.admit()).toBe(false);
  });
});

describe('ConfigServer admission', () => {
  it('opens a storm of streams at the bounded rate while an admitted runtime gets a new version at once', async () => {
    const cache = new SnapshotCache();
    cache.set(snapshotOf([plainApi('api-1', '/api-1', ['http://10.0.0.1:8080'])], 1));
    const opened: string[] = [];
    const server = new ConfigServer({ cache, controllerId: 'ctl-1', zone: 'a', admission: { perSecond: 2, burst: 1 }, callbacks: { onStreamOpen: (s) => opened.push(s.runtimeId) } });
    const port = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.close(200));
    const Ctor = loadConfigProto().gateway.config.v1.ConfigDiscovery;
    const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const responses = new Map<string, ConfigResponse__Output[]>();
    const calls = Array.from({ length: 6 }, (_, i) => {
      const id = `rt-${i}`;
      const call = client.StreamConfig();
      responses.set(id, []);
      call.on('data', (r: ConfigResponse__Output) => {
        responses.get(id)!.push(r);
        // ACK, like a runtime, so the next version may follow.
        call.write({ node: { id, zone: 'a' }, versionInfo: r.version, epoch: r.epoch, hash: r.hash, responseNonce: r.nonce } satisfies ConfigRequest);
      });
      call.on('error', () => undefined);
      cleanups.push(() => call.cancel());
      call.write({ node: { id, zone: 'a' }, versionInfo: 0, epoch: 0, hash: '', responseNonce: '' } satisfies ConfigRequest);
      return call;
    });
    expect(calls).toHaveLength(6);
    const started = performance.now();
    await waitFor('the first admitted runtime has version 1', () => [...responses.values()].some((r) => r.length > 0));
    // A deploy during the storm reaches the admitted runtime at once, not behind the queue.
    cache.set(snapshotOf([plainApi('api-2', '/api-2', ['http://10.0.0.1:8080'])], 2));
    const first = opened[0]!;
    await waitFor('the admitted runtime has version 2', () => responses.get(first)!.some((r) => r.version === 2));
    expect(server.admissionStats().waiting).toBeGreaterThan(0);
    await waitFor('every runtime admitted and sent version 2', () => [...responses.values()].every((r) => r.some((x) => x.version === 2)), { timeoutMs: 10_000 });
    // 5 streams after the burst of 1 at 2/s: at least 2.5 s, less slack for the first refill.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(new Set(opened).size).toBe(6);
    expect(server.admissionStats()).toEqual({ waiting: 0, admitted: 6 });
  });
});
