import { describe, expect, it } from 'vitest';
import { WriterQueue } from './writer-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WriterQueue', () => {
  it('runs writes one at a time in arrival order; a failed one passes the turn on', async () => {
    const q = new WriterQueue(10_000);
    const order: string[] = [];
    const gate = deferred();
    const a = q.run(async () => {
      order.push('a start');
      await gate.promise;
      order.push('a end');
      return 'a';
    });
    const b = q.run(async () => {
      order.push('b');
      throw new Error('b failed');
    });
    const c = q.run(async () => {
      order.push('c');
      return 'c';
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a start']);
    expect(q.waiting).toBe(2);
    gate.resolve();
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    expect(order).toEqual(['a start', 'a end', 'b', 'c']);
    expect(q.waiting).toBe(0);
  });

  it('answers GW_CONTROLLER_BUSY to a write that waited too long, which then never runs', async () => {
    const q = new WriterQueue(100);
    const gate = deferred();
    const slow = q.run(() => gate.promise);
    let ran = false;
    const started = Date.now();
    await expect(
      q.run(async () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'GW_CONTROLLER_BUSY' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    gate.resolve();
    await slow;
    await expect(q.run(async () => 'next')).resolves.toBe('next');
    expect(ran).toBe(false);
  });
});
