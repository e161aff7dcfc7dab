// The runtime end of delta mode against a scripted controller (a real gRPC server on
// 127.0.0.1 that sends exactly the responses the spec gives): what the first request lists,
// how a delta becomes the whole state handed to `apply`, and the NACKs that keep the last
// good state when a delta cannot be rebuilt.
import * as grpc from '@grpc/grpc-js';
import { plainApi } from '@gw/api-schema/testing';
import { diffSnapshots, type ConfigSnapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { loadConfigProto, resourcesToProto, type ConfigRequest__Output, type ConfigResponse } from '@gw/config-proto';
import { waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigClient, type ConfigStreamMode } from './config-client.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const api = (name: string, target = 1) => plainApi(name, `/${name}`, [`http://10.0.0.${target}:8080`]);
const v1 = snapshotOf([api('a'), api('b'), api('c')], 1);
const v2 = snapshotOf([api('a'), api('b', 2), api('d')], 2);

/** A controller that records requests and lets the spec write responses. */
async function scriptedController() {
  const requests: ConfigRequest__Output[] = [];
  let stream: grpc.ServerDuplexStream<ConfigRequest__Output, ConfigResponse> | undefined;
  const server = new grpc.Server();
  server.addService(loadConfigProto().gateway.config.v1.ConfigDiscovery.service, {
    StreamConfig: (call: grpc.ServerDuplexStream<ConfigRequest__Output, ConfigResponse>) => {
      stream = call;
      call.on('data', (r: ConfigRequest__Output) => requests.push(r));
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanups.push(() => server.forceShutdown());
  let nonce = 0;
  return {
    address: `127.0.0.1:${port}`,
    requests,
    send(response: Omit<ConfigResponse, 'nonce' | 'controllerId' | 'controllerZone'>): string {
      const n = `n${++nonce}`;
      stream!.write({ ...response, nonce: n, controllerId: 'ctl', controllerZone: 'a' });
      return n;
    },
    whole: (s: ConfigSnapshot) => ({ version: s.version, epoch: s.epoch, hash: s.hash, resources: resourcesToProto(s) }),
    delta(from: ConfigSnapshot, to: ConfigSnapshot) {
      const d = diffSnapshots(from, to);
      return { version: to.version, epoch: to.epoch, hash: to.hash, delta: true, baseHash: from.hash, resources: [...d.changed], removedResources: [...d.removed] };
    },
  };
}

function runtime(address: string, o: { mode?: ConfigStreamMode; held?: ConfigSnapshot } = {}) {
  const rt = { runs: o.held, applied: [] as ConfigSnapshot[] };
  const client = new ConfigClient({
    addresses: [address],
    node: { id: 'rt-1', zone: 'a' },
    ...(o.mode ? { mode: o.mode } : {}),
    held: o.held,
    applied: () => (rt.runs ? { version: rt.runs.version, epoch: rt.runs.epoch, hash: rt.runs.hash } : undefined),
    apply: (s) => {
      rt.applied.push(s);
      rt.runs = s;
      return { ok: true };
    },
    backoff: { initialMs: 50, maxMs: 200 },
  });
  client.start();
  cleanups.push(() => client.stop());
  return { rt, client };
}

describe('ConfigClient delta mode', () => {
  it('lists what it holds on its first request only, and hands apply the whole state a delta leads to', async () => {
    const ctl = await scriptedController();
    const { rt, client } = runtime(ctl.address, { held: v1 });
    await waitFor('the first request', () => ctl.requests.length === 1);
    expect(ctl.requests[0]).toMatchObject({ delta: true, versionInfo: 1, hash: v1.hash });
    expect(ctl.requests[0]!.initialResourceVersions).toEqual(v1.resources.map((r) => ({ type: r.type, name: r.name, hash: r.hash })));

    const nonce = ctl.send(ctl.delta(v1, v2));
    await waitFor('the ACK', () => ctl.requests.length === 2);
    expect(ctl.requests[1]).toMatchObject({ responseNonce: nonce, versionInfo: 2, hash: v2.hash, delta: true, initialResourceVersions: [] });
    expect(ctl.requests[1]!.errorDetail).toBeNull();
    expect(rt.applied).toEqual([v2]);
    expect(client.received).toEqual({ full: 0, delta: 1, resources: 2, removed: 1 });
  });

  it('NACKs a delta it cannot rebuild (GW_SNAPSHOT_HASH_MISMATCH) and keeps its state; the whole state that follows applies', async () => {
    const ctl = await scriptedController();
    const { rt } = runtime(ctl.address, { held: v1 });
    await waitFor('the first request', () => ctl.requests.length === 1);
    // A delta from another base than the one held.
    const other = snapshotOf([api('x')], 1);
    ctl.send(ctl.delta(other, v2));
    await waitFor('the NACK', () => ctl.requests.length === 2);
    expect(ctl.requests[1]!.errorDetail).toMatchObject({ code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    expect(ctl.requests[1]).toMatchObject({ versionInfo: 1, hash: v1.hash });
    // A tampered resource in an otherwise right delta.
    const tampered = ctl.delta(v1, v2);
    tampered.resources[0] = { ...tampered.resources[0]!, content: tampered.resources[0]!.content.replace('10.0.0.2', '10.6.6.6') };
    ctl.send(tampered);
    await waitFor('the second NACK', () => ctl.requests.length === 3);
    expect(ctl.requests[2]!.errorDetail).toMatchObject({ code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    expect(rt.applied).toEqual([]);
    ctl.send(ctl.whole(v2));
    await waitFor('the ACK', () => ctl.requests.length === 4);
    expect(ctl.requests[3]).toMatchObject({ versionInfo: 2, hash: v2.hash, errorDetail: null });
    expect(rt.applied).toEqual([v2]);
  });

  it('NACKs a delta when it holds nothing, and lists nothing in full mode', async () => {
    const ctl = await scriptedController();
    runtime(ctl.address);
    await waitFor('the first request', () => ctl.requests.length === 1);
    expect(ctl.requests[0]).toMatchObject({ delta: true, initialResourceVersions: [], versionInfo: 0 });
    ctl.send(ctl.delta(v1, v2));
    await waitFor('the NACK', () => ctl.requests.length === 2);
    expect(ctl.requests[1]!.errorDetail).toMatchObject({ code: 'GW_SNAPSHOT_HASH_MISMATCH', message: expect.stringContaining('holds no config') });

    const full = await scriptedController();
    runtime(full.address, { mode: 'full', held: v1 });
    await waitFor('the first request', () => full.requests.length === 1);
    expect(full.requests[0]).toMatchObject({ delta: false, initialResourceVersions: [], versionInfo: 1 });
  });
});
