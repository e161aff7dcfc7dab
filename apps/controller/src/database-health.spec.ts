import { silentLogger } from '@gw/logging';
import { describe, expect, it, vi } from 'vitest';
import { DatabaseHealth, pingPool } from './database-health.js';

function health(check: () => Promise<unknown>, timeoutMs = 1_000) {
  // A long interval: the test drives checks with checkNow().
  return new DatabaseHealth({ check, intervalMs: 60_000, timeoutMs, logger: silentLogger });
}

describe('DatabaseHealth', () => {
  it('is not ok before the first check, ok after a successful one', async () => {
    const h = health(async () => undefined);
    expect(h.ok).toBe(false);
    expect(h.report()).toMatchObject({ ok: false, since: null });
    await h.start();
    expect(h.report()).toMatchObject({ ok: true, lastError: null, failures: 0, since: expect.any(String) });
    await h.stop();
  });

  it('turns not ok on a failing check, counts failures, and recovers', async () => {
    let fail = true;
    const h = health(async () => {
      if (fail) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    await h.checkNow();
    await h.checkNow();
    expect(h.report()).toMatchObject({ ok: false, failures: 2, lastError: 'connect ECONNREFUSED 127.0.0.1:5432' });
    fail = false;
    await h.checkNow();
    expect(h.report()).toMatchObject({ ok: true, failures: 0, lastError: null });
  });

  it('counts a check that hangs past its timeout as failed, and runs one check at a time', async () => {
    let calls = 0;
    let release!: () => void;
    const h = health(() => {
      calls++;
      return new Promise<void>((r) => (release = r));
    }, 50);
    const first = h.checkNow();
    const second = h.checkNow(); // joins the one in flight
    await vi.waitFor(() => expect(h.report()).toMatchObject({ ok: false, lastError: 'no answer within 50 ms' }), { timeout: 5_000 });
    expect(calls).toBe(1);
    release();
    await Promise.all([first, second]);
    // The late answer does not flip it back: only a check that answers in time does.
    expect(h.ok).toBe(false);
  });

  it('treats a check that throws synchronously as a failure', async () => {
    const h = health(() => {
      throw new TypeError('pool is closed');
    });
    await h.checkNow();
    expect(h.report()).toMatchObject({ ok: false, lastError: 'pool is closed' });
  });
});

describe('pingPool', () => {
  function fakePool(query: () => Promise<unknown>) {
    const released: unknown[] = [];
    const pool = {
      connect: async () => ({
        query,
        release: (err?: Error | boolean) => {
          released.push(err);
        },
      }),
    };
    return { pool, released };
  }

  it('returns a healthy connection to the pool', async () => {
    const { pool, released } = fakePool(async () => ({ rows: [{ '?column?': 1 }] }));
    await pingPool(pool, 1_000);
    expect(released).toEqual([undefined]);
  });

  it('destroys a connection that fails or hangs (release with the error) and rejects in time', async () => {
    const failing = fakePool(() => Promise.reject(new Error('Connection terminated unexpectedly')));
    await expect(pingPool(failing.pool, 1_000)).rejects.toThrow('Connection terminated');
    expect(failing.released).toEqual([expect.any(Error)]);

    const hanging = fakePool(() => new Promise(() => undefined));
    await expect(pingPool(hanging.pool, 30)).rejects.toThrow('select 1 got no answer within 30 ms');
    expect(hanging.released).toEqual([expect.any(Error)]);
  });

  it('rejects when no connection can be checked out', async () => {
    const pool = { connect: () => Promise.reject(new Error('timeout exceeded when trying to connect')) };
    await expect(pingPool(pool, 1_000)).rejects.toThrow('timeout exceeded');
  });
});
