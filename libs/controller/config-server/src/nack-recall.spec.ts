// A new stream first asks `recallNack` (the fleet status: the runtime's last NACK, maybe
// from another replica) and never sends that version; a recall that hangs or fails delays
// the first snapshot by at most `nackRecallTimeoutMs`. Real gRPC, plaintext.
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { SnapshotCache } from '@gw/snapshot-cache';
import { waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { openRawConfigStream } from './testing/raw-config-stream.js';
import { ConfigServer, type NackRecall } from './config-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const api = (n: number) => plainApi(`api-${n}`, `/api-${n}`, ['http://10.0.0.1:8080']);

async function start(recallNack: NackRecall, nackRecallTimeoutMs = 5_000) {
  const cache = new SnapshotCache();
  cache.set(snapshotOf([api(1)], 1));
  const asked: string[] = [];
  const server = new ConfigServer({
    cache,
    controllerId: 'ctl-2',
    zone: 'a',
    recallNack: (id) => {
      asked.push(id);
      return recallNack(id);
    },
    nackRecallTimeoutMs,
  });
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.close(200));
  // A runtime with nothing yet, on the whole-state protocol.
  const stream = openRawConfigStream(`127.0.0.1:${port}`, (close) => cleanups.push(close));
  stream.send(undefined, { delta: false });
  return { cache, asked, responses: stream.responses };
}

describe('ConfigServer recallNack', () => {
  it('does not send the version the runtime NACKed on another replica; the next one goes', async () => {
    let answered = false;
    const { cache, asked, responses } = await start(async () => {
      answered = true;
      return { epoch: 1, version: 1 };
    });
    await waitFor('the recall', () => answered);
    expect(asked).toEqual(['rt-1']);
    cache.set(snapshotOf([api(2)], 2));
    await waitFor('a response', () => responses.length > 0);
    // One outstanding response per stream: had v1 gone out, it would be first (and v2 would wait for its answer).
    expect(responses.map((r) => r.version)).toEqual([2]);
  });

  it('sends the snapshot when the recalled NACK is another version', async () => {
    const { responses } = await start(async () => ({ epoch: 1, version: 7 }));
    await waitFor('a response', () => responses.length > 0);
    expect(responses.map((r) => r.version)).toEqual([1]);
  });

  it('sends without it after nackRecallTimeoutMs when the database does not answer, and when the read fails', async () => {
    const hung = await start(() => new Promise(() => undefined), 150);
    const started = Date.now();
    await waitFor('a response despite the hung recall', () => hung.responses.length > 0, { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(hung.responses.map((r) => r.version)).toEqual([1]);

    const failing = await start(() => Promise.reject(new Error('database unavailable')));
    await waitFor('a response despite the failed recall', () => failing.responses.length > 0, { timeoutMs: 10_000 });
    expect(failing.responses.map((r) => r.version)).toEqual([1]);
  });
});
