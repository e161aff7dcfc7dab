// The burst hold of a config stream (DEFAULT_BURST_HOLD_MS), against a real ConfigServer over
// real gRPC with a hand-driven runtime end: an ACK that finds two or more newer versions waiting holds
// the next response (so it carries the newest of several), an ACK with nothing waiting
// holds nothing.
import { plainApi } from '@gw/api-schema/testing';
import type { ConfigSnapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import type { ConfigResponse__Output } from '@gw/config-proto';
import { SnapshotCache } from '@gw/snapshot-cache';
import { waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { openRawConfigStream } from './testing/raw-config-stream.js';
import { ConfigServer } from './config-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const state = (version: number): ConfigSnapshot => snapshotOf([plainApi('a', '/a', [`http://10.0.0.${version}:8080`])], version, 1);

async function streamWithHold(burstHoldMs: number) {
  const cache = new SnapshotCache();
  const server = new ConfigServer({ cache, controllerId: 'ctl-1', zone: 'a', burstHoldMs });
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.close(200));
  const stream = openRawConfigStream(`127.0.0.1:${port}`, (close) => cleanups.push(close));
  return { cache, server, responses: stream.responses, hello: () => stream.send(undefined), ack: (r: ConfigResponse__Output, runs: ConfigSnapshot) => stream.send(runs, { responseNonce: r.nonce }) };
}

/** ACKs v1 while v2 and v3 wait, then v4 arrives at once: which version does the next response carry? */
async function afterBacklogAck(burstHoldMs: number): Promise<{ version: string }> {
  const rt = await streamWithHold(burstHoldMs);
  rt.cache.set(state(1));
  rt.hello();
  await waitFor('the first response', () => rt.responses.length === 1);
  rt.cache.set(state(2));
  rt.cache.set(state(3));
  rt.ack(rt.responses[0]!, state(1));
  await waitFor('the ACK', () => rt.server.sessions()[0]?.applied.version === 1);
  rt.cache.set(state(4));
  await waitFor('the second response', () => rt.responses.length === 2);
  return { version: String(rt.responses[1]!.version) };
}

describe('ConfigServer burst hold', () => {
  it('without a hold, the ACK of v1 gets v3 at once (the newest then)', async () => {
    expect((await afterBacklogAck(0)).version).toBe('3');
  });

  it('with a hold, the response after the ACK of a backlog waits and carries v4', async () => {
    expect((await afterBacklogAck(1_000)).version).toBe('4');
  });

  it('holds nothing after an ACK with nothing newer waiting, nor one version behind (the next deploy of a sequence)', async () => {
    // A hold would keep each change back 10 s, beyond these waits.
    const held = await streamWithHold(10_000);
    held.cache.set(state(1));
    held.hello();
    await waitFor('the first response', () => held.responses.length === 1);
    held.ack(held.responses[0]!, state(1));
    await waitFor('the ACK', () => held.server.sessions()[0]?.applied.version === 1);
    held.cache.set(state(2));
    await waitFor('the lone change', () => held.responses.length === 2, { timeoutMs: 5_000 });
    expect(String(held.responses[1]!.version)).toBe('2');
    held.cache.set(state(3));
    held.ack(held.responses[1]!, state(2));
    await waitFor('the next deploy', () => held.responses.length === 3, { timeoutMs: 5_000 });
    expect(String(held.responses[2]!.version)).toBe('3');
  });
});
