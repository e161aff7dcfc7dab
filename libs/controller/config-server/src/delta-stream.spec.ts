// Delta mode of the config stream (Envoy's incremental xDS), against a real ConfigServer over
// real gRPC with a hand-driven runtime end, so each request (list of held resources, ACK,
// NACK) is exactly what the spec says.
import { plainApi } from '@gw/api-schema/testing';
import type { ConfigSnapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { heldToProto, type ConfigRequest, type ConfigResponse__Output } from '@gw/config-proto';
import { SnapshotCache } from '@gw/snapshot-cache';
import { waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { openRawConfigStream } from './testing/raw-config-stream.js';
import { ConfigServer } from './config-server.js';
import type { SentResponse } from './runtime-session.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const api = (name: string, target = 1) => plainApi(name, `/${name}`, [`http://10.0.0.${target}:8080`]);
/** The state at `version`: APIs a..e, with `changes` (name → target) on top; a target of 0 removes the API. */
function state(version: number, changes: Record<string, number> = {}, epoch = 1): ConfigSnapshot {
  const targets: Record<string, number> = { a: 1, b: 1, c: 1, d: 1, e: 1, ...changes };
  return snapshotOf(
    Object.entries(targets).flatMap(([name, t]) => (t === 0 ? [] : [api(name, t)])),
    version,
    epoch,
  );
}

async function replica(id = 'ctl-1') {
  const cache = new SnapshotCache();
  const sent: SentResponse[] = [];
  const server = new ConfigServer({ cache, controllerId: id, zone: 'a', callbacks: { onResponseSent: (_s, r) => sent.push(r) } });
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.close(200));
  return { cache, server, sent, address: `127.0.0.1:${port}` };
}

/** A runtime end that sends exactly the requests it is told to. */
function connect(address: string) {
  const stream = openRawConfigStream(address, (close) => cleanups.push(close));
  return {
    responses: stream.responses,
    /** First request: delta mode, listing what it holds. */
    hello: (runs: ConfigSnapshot | undefined, extra: Partial<ConfigRequest> = {}) => stream.send(runs, { initialResourceVersions: runs ? heldToProto(runs) : [], ...extra }),
    ack: (nonce: string, runs: ConfigSnapshot) => stream.send(runs, { responseNonce: nonce }),
    nack: (nonce: string, runs: ConfigSnapshot | undefined, code: string) => stream.send(runs, { responseNonce: nonce, errorDetail: { code, message: 'refused' } }),
    end: stream.end,
  };
}

const names = (r: ConfigResponse__Output) => r.resources.map((x) => x.name);
const removed = (r: ConfigResponse__Output) => r.removedResources.map((x) => x.name);
/** Long enough for a response already on its way to arrive; only used to show that none came. */
const quietFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ConfigServer delta mode', () => {
  it('sends a runtime only what changed since the state it lists, then deltas from each ACKed state', async () => {
    const { cache, server, sent, address } = await replica();
    const v1 = state(1);
    const v2 = state(2, { b: 2, c: 0, f: 1 });
    cache.set(v2);
    const rt = connect(address);
    rt.hello(v1);
    await waitFor('the first response', () => rt.responses.length === 1);
    const first = rt.responses[0]!;
    expect(first).toMatchObject({ delta: true, version: 2, epoch: 1, hash: v2.hash, baseHash: v1.hash, controllerId: 'ctl-1' });
    expect(names(first)).toEqual(['b', 'f']);
    expect(removed(first)).toEqual(['c']);
    rt.ack(first.nonce, v2);
    await waitFor('the ACK', () => server.sessions()[0]?.applied.version === 2);

    const v3 = state(3, { b: 2, c: 0, f: 1, d: 5 });
    cache.set(v3);
    await waitFor('the second response', () => rt.responses.length === 2);
    expect(rt.responses[1]).toMatchObject({ delta: true, version: 3, hash: v3.hash, baseHash: v2.hash });
    expect(names(rt.responses[1]!)).toEqual(['d']);
    expect(sent.map((s) => [s.mode, s.resources, s.removed])).toEqual([
      ['delta', 2, 1],
      ['delta', 1, 0],
    ]);
    expect(sent[1]!.bytes).toBeLessThan(sent[0]!.bytes!);
  });

  it('takes an ACK or NACK of a delta as a unit: a NACKed delta is not resent, the next one is built from the last good state', async () => {
    const { cache, server, address } = await replica();
    const v1 = state(1);
    cache.set(v1);
    const rt = connect(address);
    rt.hello(v1);
    await quietFor(300);
    expect(rt.responses).toEqual([]); // in sync: nothing to send
    cache.set(state(2, { a: 2, b: 2 }));
    await waitFor('the delta of v2', () => rt.responses.length === 1);
    expect(names(rt.responses[0]!)).toEqual(['a', 'b']);
    rt.nack(rt.responses[0]!.nonce, v1, 'GW_SNAPSHOT_INVALID');
    await waitFor('the NACK', () => server.sessions()[0]?.lastNack?.version === 2);
    await quietFor(300);
    expect(rt.responses).toHaveLength(1); // not resent
    // The runtime still holds v1: v3's delta carries v2's changes too.
    const v3 = state(3, { a: 2, b: 2, c: 3 });
    cache.set(v3);
    await waitFor('the delta of v3', () => rt.responses.length === 2);
    expect(rt.responses[1]).toMatchObject({ delta: true, version: 3, baseHash: v1.hash });
    expect(names(rt.responses[1]!)).toEqual(['a', 'b', 'c']);
    rt.ack(rt.responses[1]!.nonce, v3);
    await waitFor('the ACK of v3', () => server.sessions()[0]?.applied.version === 3);
  });

  it('follows a delta the runtime could not rebuild (GW_SNAPSHOT_HASH_MISMATCH) with the whole state of that version, once', async () => {
    const { cache, server, address } = await replica();
    const v1 = state(1);
    const v2 = state(2, { e: 4 });
    cache.set(v2);
    const rt = connect(address);
    rt.hello(v1);
    await waitFor('the delta', () => rt.responses.length === 1);
    expect(rt.responses[0]!.delta).toBe(true);
    rt.nack(rt.responses[0]!.nonce, v1, 'GW_SNAPSHOT_HASH_MISMATCH');
    await waitFor('the whole state', () => rt.responses.length === 2);
    expect(rt.responses[1]).toMatchObject({ delta: false, version: 2, hash: v2.hash });
    expect(names(rt.responses[1]!)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(server.sessions()[0]!.lastNack).toBeUndefined();
    // A NACK of the whole state is a NACK like any other: remembered, not resent.
    rt.nack(rt.responses[1]!.nonce, v1, 'GW_SNAPSHOT_HASH_MISMATCH');
    await waitFor('the NACK', () => server.sessions()[0]?.lastNack?.version === 2);
    await quietFor(300);
    expect(rt.responses).toHaveLength(2);
  });

  it('sends the whole state to a runtime that holds nothing, lists nothing, or runs another epoch', async () => {
    const { cache, sent, address } = await replica();
    const v1 = state(1);
    cache.set(state(2, { a: 2 }));
    const empty = connect(address);
    empty.hello(undefined);
    await waitFor('a response', () => empty.responses.length === 1);
    expect(empty.responses[0]).toMatchObject({ delta: false, version: 2 });
    expect(names(empty.responses[0]!)).toHaveLength(5);

    const unlisted = connect(address);
    unlisted.hello(v1, { initialResourceVersions: [] });
    await waitFor('a response', () => unlisted.responses.length === 1);
    expect(unlisted.responses[0]!.delta).toBe(false);

    // Resources that do not hash to the state it says it runs: trust neither, whole state.
    const inconsistent = connect(address);
    inconsistent.hello(v1, { initialResourceVersions: heldToProto(state(1, { a: 9 })) });
    await waitFor('a response', () => inconsistent.responses.length === 1);
    expect(inconsistent.responses[0]!.delta).toBe(false);

    // A new epoch (a deliberate restore) goes whole, even to a runtime whose state differs by one API.
    const restored = state(3, { a: 2, b: 7 }, 2);
    const old = connect(address);
    old.hello(v1);
    await waitFor('the delta', () => old.responses.length === 1);
    old.ack(old.responses[0]!.nonce, state(2, { a: 2 }));
    cache.set(restored);
    await waitFor('the restore', () => old.responses.length === 2);
    expect(old.responses[1]).toMatchObject({ delta: false, epoch: 2, version: 3, hash: restored.hash });
    expect(names(old.responses[1]!)).toHaveLength(5);
    expect(sent.filter((s) => s.mode === 'delta')).toHaveLength(1);
  });

  it('resumes with deltas on another replica after a failover: nothing when in sync, then only what changed', async () => {
    const a = await replica('ctl-a');
    const b = await replica('ctl-b');
    const v5 = state(5, { c: 2 });
    a.cache.set(v5);
    b.cache.set(v5);
    const onA = connect(a.address);
    onA.hello(state(4));
    await waitFor('the delta from a', () => onA.responses.length === 1);
    onA.ack(onA.responses[0]!.nonce, v5);
    await waitFor('the ACK on a', () => a.server.sessions()[0]?.applied.version === 5);
    onA.end();

    const onB = connect(b.address);
    onB.hello(v5);
    await waitFor('the session on b', () => b.server.sessions().length === 1);
    await quietFor(300);
    expect(onB.responses).toEqual([]); // hashes agree: nothing re-sent
    const v6 = state(6, { c: 2, d: 3 });
    b.cache.set(v6);
    await waitFor('the delta from b', () => onB.responses.length === 1);
    expect(onB.responses[0]).toMatchObject({ delta: true, version: 6, baseHash: v5.hash, controllerId: 'ctl-b' });
    expect(names(onB.responses[0]!)).toEqual(['d']);
    expect(b.sent.map((s) => s.mode)).toEqual(['delta']);
  });

  it('diffs a runtime reporting a state this replica served recently against that snapshot, shared by every such runtime', async () => {
    const { cache, server, address } = await replica();
    const v1 = state(1);
    cache.set(v1);
    const v2 = state(2, { b: 3, e: 0 });
    cache.set(v2);
    const runtimes = [connect(address), connect(address), connect(address)];
    for (const rt of runtimes) rt.hello(v1);
    await waitFor('every delta', () => runtimes.every((rt) => rt.responses.length === 1));
    for (const rt of runtimes) {
      expect(rt.responses[0]).toMatchObject({ delta: true, version: 2, baseHash: v1.hash, hash: v2.hash });
      expect(names(rt.responses[0]!)).toEqual(['b']);
      expect(removed(rt.responses[0]!)).toEqual(['e']);
    }
    expect(server.responses.encodings).toBe(1);
  });

  it('confirms a state served from the disk cache (reported with an empty hash) with an empty delta', async () => {
    const { cache, server, address } = await replica();
    const v3 = state(3);
    cache.set(v3);
    const rt = connect(address);
    rt.hello(v3, { hash: '' });
    await waitFor('the confirmation', () => rt.responses.length === 1);
    expect(rt.responses[0]).toMatchObject({ delta: true, version: 3, hash: v3.hash });
    expect(rt.responses[0]!.resources).toEqual([]);
    expect(rt.responses[0]!.removedResources).toEqual([]);
    rt.ack(rt.responses[0]!.nonce, v3);
    await waitFor('the ACK', () => server.sessions()[0]?.applied.hash === v3.hash);
  });

  it('computes and encodes each distinct response once, however many runtimes it goes to', async () => {
    const { cache, server, sent, address } = await replica();
    const v1 = state(1);
    cache.set(state(2, { a: 2 }));
    const runtimes = Array.from({ length: 4 }, () => connect(address));
    for (const rt of runtimes) rt.hello(v1);
    const fresh = connect(address);
    fresh.hello(undefined);
    await waitFor('every response', () => runtimes.every((rt) => rt.responses.length === 1) && fresh.responses.length === 1);
    expect(new Set(runtimes.map((rt) => rt.responses[0]!.nonce)).size).toBe(4);
    expect(runtimes.every((rt) => names(rt.responses[0]!).join() === 'a')).toBe(true);
    // One delta (from v1) and one whole state: two encodings for five streams.
    expect(server.responses.encodings).toBe(2);
    expect(sent).toHaveLength(5);
  });

  it('streams whole states to a runtime that does not ask for deltas (CONFIG_STREAM_MODE=full), as before delta mode', async () => {
    const { cache, sent, address } = await replica();
    const v1 = state(1);
    cache.set(state(2, { a: 2 }));
    const rt = connect(address);
    rt.hello(v1, { delta: false });
    await waitFor('a response', () => rt.responses.length === 1);
    expect(rt.responses[0]).toMatchObject({ delta: false, version: 2, removedResources: [], baseHash: '' });
    expect(names(rt.responses[0]!)).toHaveLength(5);
    rt.ack(rt.responses[0]!.nonce, state(2, { a: 2 }));
    cache.set(state(3, { a: 3 }));
    await waitFor('the next response', () => rt.responses.length === 2);
    expect(rt.responses[1]!.delta).toBe(false);
    expect(names(rt.responses[1]!)).toHaveLength(5);
    expect(sent.map((s) => s.mode)).toEqual(['full', 'full']);
  });
});
