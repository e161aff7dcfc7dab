import type { FleetState } from '@gw/store';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetWaiter } from './fleet-waiter.js';

function state(version: number): FleetState {
  return { config: { version, epoch: 1 }, now: new Date(), runtimes: [] };
}

const waiters: FleetWaiter[] = [];
afterEach(async () => {
  for (const w of waiters.splice(0)) await w.stop();
});

function make(read: () => Promise<FleetState>, pollMs = 20): FleetWaiter {
  const w = new FleetWaiter({ read, pollMs });
  waiters.push(w);
  return w;
}

describe('FleetWaiter', () => {
  it('resolves once the condition holds on a read, polling meanwhile', async () => {
    let version = 1;
    let reads = 0;
    const w = make(async () => {
      reads++;
      return state(version);
    });
    const pending = w.wait((s) => s.config.version >= 3, { timeoutMs: 5_000 });
    setTimeout(() => (version = 3), 100);
    const outcome = await pending;
    expect(outcome).toMatchObject({ done: true, state: { config: { version: 3 } } });
    expect(reads).toBeGreaterThan(1);
    expect(w.waiting).toBe(0);
  });

  it('serves every waiter from one read per round and stops reading when nobody waits', async () => {
    let reads = 0;
    let version = 1;
    const w = make(async () => {
      reads++;
      return state(version);
    }, 10_000);
    const a = w.wait((s) => s.config.version >= 2, { timeoutMs: 5_000 });
    const b = w.wait((s) => s.config.version >= 2, { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 20));
    const before = reads;
    version = 2;
    w.wake();
    expect((await a).done && (await b).done).toBe(true);
    expect(reads - before).toBe(1);
    const settled = reads;
    await new Promise((r) => setTimeout(r, 50));
    expect(reads).toBe(settled);
  });

  it('times out with the last state it read', async () => {
    const w = make(async () => state(1));
    const started = Date.now();
    const outcome = await w.wait((s) => s.config.version >= 2, { timeoutMs: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(outcome).toMatchObject({ done: false, state: { config: { version: 1 } } });
  });

  it('reports the read error when no read succeeded, without reading in a tight loop', async () => {
    let reads = 0;
    const w = make(async () => {
      reads++;
      throw new Error('database unavailable');
    }, 50);
    const outcome = await w.wait(() => true, { timeoutMs: 200 });
    expect(outcome).toMatchObject({ done: false, state: undefined, error: expect.objectContaining({ message: 'database unavailable' }) });
    expect(reads).toBeLessThanOrEqual(6);
  });

  it('ends a wait when its signal aborts, and every wait on stop', async () => {
    const w = make(async () => state(1));
    const ac = new AbortController();
    const aborted = w.wait(() => false, { timeoutMs: 60_000, signal: ac.signal });
    const other = w.wait(() => false, { timeoutMs: 60_000 });
    ac.abort();
    expect((await aborted).done).toBe(false);
    expect(w.waiting).toBe(1);
    await w.stop();
    expect((await other).done).toBe(false);
    expect((await w.wait(() => true, { timeoutMs: 1_000 })).done).toBe(false);
  });
});
