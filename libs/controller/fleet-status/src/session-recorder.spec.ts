import type { RuntimeSession } from '@gw/config-server';
import type { RuntimeSessionRecord } from '@gw/store';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { recordingLogger } from '@gw/logging/testing';
import { RuntimeSessionRecorder, type SessionRecorderOptions } from './session-recorder.js';

/** A FleetStore stand-in: records every call; can fail or hang on demand. */
class FakeStore {
  calls: RuntimeSessionRecord[][] = [];
  takeOver: number[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  forgets = 0;
  async recordSessions(records: readonly RuntimeSessionRecord[], options: { takeOverAfterMs: number }): Promise<number> {
    if (this.mode === 'fail') throw Object.assign(new Error('database unavailable'), { code: 'GW_DATABASE_UNAVAILABLE' });
    if (this.mode === 'hang') return new Promise(() => undefined);
    this.calls.push(records.map((r) => structuredClone(r)));
    this.takeOver.push(options.takeOverAfterMs);
    return records.length;
  }
  async forgetRuntimes(): Promise<number> {
    this.forgets++;
    return 0;
  }
  last(runtimeId: string): RuntimeSessionRecord | undefined {
    for (let i = this.calls.length - 1; i >= 0; i--) {
      const r = this.calls[i]!.find((x) => x.runtimeId === runtimeId);
      if (r) return r;
    }
    return undefined;
  }
}

function session(streamId: number, overrides: Partial<RuntimeSession> = {}): RuntimeSession {
  return {
    streamId,
    runtimeId: 'rt-1',
    zone: 'a',
    buildVersion: '1.2.3',
    peer: 'ipv4:127.0.0.1:1234',
    connectedAt: new Date(1_000 + streamId),
    applied: { version: 0, epoch: 0, hash: '' },
    lastNack: undefined,
    lastSeenAt: new Date(),
    ...overrides,
  };
}

const recorders: RuntimeSessionRecorder[] = [];
afterEach(async () => {
  for (const r of recorders.splice(0)) await r.stop(100);
});

function recorder(store: FakeStore, options: Partial<SessionRecorderOptions> = {}): RuntimeSessionRecorder {
  const r = new RuntimeSessionRecorder({ store, controllerId: 'ctl-1', bootId: 'boot', heartbeatMs: 60_000, ...options });
  recorders.push(r);
  return r;
}

describe('RuntimeSessionRecorder', () => {
  it('records open, ACK, NACK and close, with the stream\'s id and the newest state', async () => {
    const store = new FakeStore();
    const rec = recorder(store);
    const s = session(7);
    rec.callbacks.onStreamOpen!(s);
    await waitFor('open written', () => store.calls.length === 1);
    expect(store.calls[0]).toEqual([
      {
        runtimeId: 'rt-1',
        sessionId: 'ctl-1/boot/7',
        zone: 'a',
        controllerId: 'ctl-1',
        buildVersion: '1.2.3',
        peer: 'ipv4:127.0.0.1:1234',
        connected: true,
        connectedAt: s.connectedAt,
        disconnectedAt: undefined,
        applied: { version: 0, epoch: 0, hash: '' },
        lastNack: undefined,
      },
    ]);
    expect(store.takeOver).toEqual([180_000]);

    s.applied = { version: 3, epoch: 1, hash: 'h3' };
    rec.callbacks.onAck!(s);
    await waitFor('ack written', () => store.calls.length === 2);
    expect(store.last('rt-1')).toMatchObject({ connected: true, applied: { version: 3, epoch: 1, hash: 'h3' } });

    const at = new Date();
    s.lastNack = { version: 4, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many APIs', at };
    rec.callbacks.onNack!(s);
    await waitFor('nack written', () => store.calls.length === 3);
    expect(store.last('rt-1')!.lastNack).toEqual({ version: 4, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many APIs', at });

    rec.callbacks.onStreamClosed!(s);
    await waitFor('close written', () => store.calls.length === 4);
    expect(store.last('rt-1')).toMatchObject({ connected: false, disconnectedAt: expect.any(Date) });
  });

  it('coalesces the events of one tick into one write holding the newest state per runtime', async () => {
    const store = new FakeStore();
    const rec = recorder(store);
    const a = session(1, { runtimeId: 'a' });
    const b = session(2, { runtimeId: 'b' });
    rec.callbacks.onStreamOpen!(a);
    rec.callbacks.onStreamOpen!(b);
    for (let v = 1; v <= 20; v++) {
      a.applied = { version: v, epoch: 1, hash: `h${v}` };
      rec.callbacks.onAck!(a);
    }
    await waitFor('written', () => store.calls.length >= 1);
    await rec.flush();
    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]!.map((r) => [r.runtimeId, r.applied.version])).toEqual([
      ['a', 20],
      ['b', 0],
    ]);
  });

  it('writes once per interval: events spread over many ticks of one interval share one statement, and a NACK followed by an ACK is not lost', async () => {
    const store = new FakeStore();
    // Long enough that the ticks below surely fall inside it on a loaded machine; flush() ends the wait.
    const rec = recorder(store, { flushIntervalMs: 60_000 });
    const runtimes = Array.from({ length: 40 }, (_, i) => session(i + 1, { runtimeId: `rt-${i}` }));
    // The opens are written at once (next test); what follows are ACKs and a NACK.
    for (const s of runtimes) rec.callbacks.onStreamOpen!(s);
    await waitFor('the opens written', () => store.calls.length === 1);
    store.calls = [];
    for (const s of runtimes) {
      s.applied = { version: 2, epoch: 1, hash: 'h2' };
      rec.callbacks.onAck!(s);
      await new Promise((r) => setImmediate(r));
    }
    const nacked = runtimes[3]!;
    const at = new Date();
    nacked.lastNack = { version: 2, epoch: 1, code: 'GW_SNAPSHOT_INVALID', message: 'bad', at };
    rec.callbacks.onNack!(nacked);
    await new Promise((r) => setImmediate(r));
    nacked.applied = { version: 3, epoch: 1, hash: 'h3' };
    rec.callbacks.onAck!(nacked);
    expect(store.calls).toHaveLength(0);
    await rec.flush();
    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]).toHaveLength(40);
    expect(store.last('rt-3')).toMatchObject({ applied: { version: 3 }, lastNack: { version: 2, code: 'GW_SNAPSHOT_INVALID', at } });
  });

  it('writes a stream open at the next turn whatever the interval (a status wait on any replica counts only listed runtimes); the opens of one turn share one statement, and opens during a write go right after it', async () => {
    const store = new FakeStore();
    let release: (() => void) | undefined;
    const rec = recorder(store, { flushIntervalMs: 60_000 });
    rec.callbacks.onStreamOpen!(session(1, { runtimeId: 'a' }));
    rec.callbacks.onStreamOpen!(session(2, { runtimeId: 'b' }));
    await waitFor('the opens written without waiting the interval', () => store.calls.length === 1);
    expect(store.calls[0]!.map((r) => r.runtimeId)).toEqual(['a', 'b']);
    // A write in flight (held here): an open meanwhile goes right after it, not an interval later.
    const recordSessions = store.recordSessions.bind(store);
    store.recordSessions = async (records, options) => {
      await new Promise<void>((r) => (release = r));
      return recordSessions(records, options);
    };
    rec.callbacks.onStreamOpen!(session(3, { runtimeId: 'c' }));
    await waitFor('the write in flight', () => release !== undefined);
    store.recordSessions = recordSessions;
    rec.callbacks.onStreamOpen!(session(4, { runtimeId: 'd' }));
    release!();
    await waitFor('both later opens written', () => store.calls.length === 3);
    expect(store.calls.slice(1).map((c) => c.map((r) => r.runtimeId))).toEqual([['c'], ['d']]);
    // An ACK alone still waits for the interval: several turns later (an open is written at the next one) it is pending, unwritten.
    const a = session(1, { runtimeId: 'a', applied: { version: 5, epoch: 1, hash: 'h5' } });
    rec.callbacks.onAck!(a);
    for (let turn = 0; turn < 10; turn++) await new Promise((r) => setImmediate(r));
    expect(store.calls).toHaveLength(3);
    expect(rec.stats.pending).toBe(1);
    await rec.flush();
    expect(store.calls).toHaveLength(4);
    expect(store.calls[3]!.map((r) => [r.runtimeId, r.applied.version])).toEqual([['a', 5]]);
  });

  it('writes what arrived during a write one interval later, in one more statement', async () => {
    const store = new FakeStore();
    const rec = recorder(store, { flushIntervalMs: 50 });
    const a = session(1, { runtimeId: 'a' });
    rec.callbacks.onStreamOpen!(a);
    await waitFor('first write', () => store.calls.length === 1);
    for (let v = 1; v <= 10; v++) {
      a.applied = { version: v, epoch: 1, hash: `h${v}` };
      rec.callbacks.onAck!(a);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor('second write', () => store.calls.length === 2 && rec.stats.pending === 0);
    expect(store.calls[1]!.map((r) => r.applied.version)).toEqual([10]);
  });

  it('keeps changes while the database is down, logs once, retries and never throws into the stream', async () => {
    const store = new FakeStore();
    store.mode = 'fail';
    const logger = recordingLogger();
    let flushed = 0;
    const rec = recorder(store, { logger, onFlushed: () => void flushed++ });
    const s = session(1);
    expect(() => rec.callbacks.onStreamOpen!(s)).not.toThrow();
    await waitFor('two failed rounds', () => rec.stats.failures >= 2);
    expect(rec.stats).toMatchObject({ pending: 1, writes: 0, lastError: 'database unavailable' });
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.msg)).toEqual(['fleet status write failed; retrying']);
    s.applied = { version: 5, epoch: 1, hash: 'h5' };
    rec.callbacks.onAck!(s);
    store.mode = 'ok';
    await waitFor('recovered', () => rec.stats.writes >= 1 && rec.stats.pending === 0);
    expect(store.last('rt-1')).toMatchObject({ applied: { version: 5 } });
    expect(flushed).toBeGreaterThanOrEqual(1);
    expect(rec.stats.lastError).toBeUndefined();
  });

  it('re-writes live sessions on every heartbeat and forgets closed ones', async () => {
    const store = new FakeStore();
    const rec = recorder(store, { heartbeatMs: 30 });
    const live = session(1, { runtimeId: 'live' });
    const gone = session(2, { runtimeId: 'gone' });
    rec.callbacks.onStreamOpen!(live);
    rec.callbacks.onStreamOpen!(gone);
    rec.callbacks.onStreamClosed!(gone);
    rec.start();
    await waitFor('three heartbeats', () => store.calls.filter((c) => c.length === 1 && c[0]!.runtimeId === 'live').length >= 3);
    const afterClose = store.calls.slice(1);
    expect(afterClose.every((c) => c.every((r) => r.runtimeId === 'live' && r.connected))).toBe(true);
    expect(store.forgets).toBe(1);
  });

  it('does not let the close of an older stream replace the newer stream queued for the same runtime', async () => {
    const store = new FakeStore();
    store.mode = 'fail'; // keep both events queued
    const rec = recorder(store);
    const old = session(1);
    const fresh = session(2);
    rec.callbacks.onStreamOpen!(old);
    rec.callbacks.onStreamOpen!(fresh);
    rec.callbacks.onStreamClosed!(old);
    store.mode = 'ok';
    await rec.flush();
    expect(store.last('rt-1')).toMatchObject({ sessionId: 'ctl-1/boot/2', connected: true });
  });

  it('bounds what a runtime can make it store (a NACK is bounded where the stream receives it: config-server-tls spec)', async () => {
    const store = new FakeStore();
    const rec = recorder(store);
    const s = session(1, { runtimeId: 'x'.repeat(10_000), zone: 'z'.repeat(1_000), buildVersion: 'b'.repeat(1_000), peer: 'p'.repeat(1_000) });
    rec.callbacks.onNack!(s);
    await waitFor('written', () => store.calls.length === 1);
    const r = store.calls[0]![0]!;
    expect([r.runtimeId.length, r.zone.length, r.buildVersion.length, r.peer.length]).toEqual([256, 128, 128, 256]);
  });

  it('writes pending closes on stop, but never waits longer than asked', async () => {
    const store = new FakeStore();
    const rec = new RuntimeSessionRecorder({ store, controllerId: 'ctl-1', heartbeatMs: 60_000 });
    const s = session(1);
    rec.callbacks.onStreamOpen!(s);
    await waitFor('open written', () => store.calls.length === 1);
    rec.callbacks.onStreamClosed!(s);
    await rec.stop(1_000);
    expect(store.last('rt-1')).toMatchObject({ connected: false });

    const hung = new FakeStore();
    hung.mode = 'hang';
    const rec2 = new RuntimeSessionRecorder({ store: hung, controllerId: 'ctl-1', heartbeatMs: 60_000 });
    rec2.callbacks.onStreamOpen!(session(1));
    const started = Date.now();
    await rec2.stop(150);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
