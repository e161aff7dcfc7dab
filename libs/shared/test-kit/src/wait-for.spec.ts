import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns once a sync condition holds, after as many checks as it took', async () => {
    let checks = 0;
    await expect(waitFor('the third check', () => ++checks >= 3, { intervalMs: 1 })).resolves.toBe(true);
    expect(checks).toBe(3);
  });

  it('returns the first value of an async condition that is neither undefined nor false', async () => {
    const values = [undefined, false, 0, 7];
    await expect(waitFor('a value', async () => values.shift(), { intervalMs: 1 })).resolves.toBe(0);
  });

  it('treats a throwing or rejecting condition as not met yet', async () => {
    let checks = 0;
    const value = await waitFor(
      'the condition to stop failing',
      () => {
        if (++checks === 1) throw new Error('not yet');
        if (checks === 2) return Promise.reject(new Error('still not'));
        return 'done';
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('done');
  });

  it('fails after the timeout naming what it waited for and the last value', async () => {
    let n = 0;
    const started = Date.now();
    const err = await waitFor('the moon', () => (++n, false), { timeoutMs: 100, intervalMs: 5 }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('timed out after 100 ms waiting for the moon: last value: false');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(n).toBeGreaterThan(1);
  });

  it('fails naming the last error, kept as the cause', async () => {
    const last = new Error('connection refused');
    const err = (await waitFor('the server', () => Promise.reject(last), { timeoutMs: 50, intervalMs: 5 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('timed out after 50 ms waiting for the server: last error: connection refused');
    expect(err.cause).toBe(last);
  });

  it('fails at the deadline when a check never settles', async () => {
    const started = Date.now();
    const err = (await waitFor('a hung check', () => new Promise<boolean>(() => undefined), { timeoutMs: 100 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('timed out after 100 ms waiting for a hung check: the last check had not settled');
    // Bounded by the deadline, not by the check: generous for a loaded machine, far below "forever".
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
