import { describe, expect, it } from 'vitest';
import { SendQueue, type SendTarget } from './send-queue.js';

/** A clock the targets advance: each send "costs" `costMs`, so slices are exact. */
function clocked(costMs: number) {
  let t = 0;
  const served: number[] = [];
  const target = (i: number): SendTarget => ({
    sendPending() {
      t += costMs;
      served.push(i);
    },
  });
  return { now: () => t, served, target };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('SendQueue', () => {
  it('serves a fan-out in slices of at most sliceMs, yielding to the event loop between them', async () => {
    const c = clocked(1);
    const q = new SendQueue({ sliceMs: 5, now: c.now });
    for (let i = 0; i < 23; i++) q.mark(c.target(i));
    expect(c.served).toEqual([]); // nothing runs in the marking tick
    // Work scheduled meanwhile (an HTTP request, an ACK) runs between two slices.
    const progressSeen: number[] = [];
    const slicesBefore = q.slices;
    for (let k = 0; k < 10 && q.waiting > 0; k++) {
      await turn();
      progressSeen.push(c.served.length);
    }
    expect(q.waiting).toBe(0);
    expect(c.served).toEqual(Array.from({ length: 23 }, (_, i) => i)); // every target once, in order
    expect(q.slices - slicesBefore).toBe(5); // 5 + 5 + 5 + 5 + 3
    expect(progressSeen.slice(0, 4)).toEqual([5, 10, 15, 20]);
  });

  it('queues a target once however often it is marked, and not at all once forgotten', async () => {
    const c = clocked(0);
    const q = new SendQueue({ now: c.now });
    const a = c.target(1);
    const b = c.target(2);
    q.mark(a);
    q.mark(a);
    q.mark(b);
    q.mark(a);
    q.forget(b);
    expect(q.waiting).toBe(1);
    await turn();
    expect(c.served).toEqual([1]);
  });

  it('serves at least one target per slice even when one send takes longer than the slice', async () => {
    const c = clocked(50);
    const q = new SendQueue({ sliceMs: 5, now: c.now });
    for (let i = 0; i < 3; i++) q.mark(c.target(i));
    for (let k = 0; k < 10 && q.waiting > 0; k++) await turn();
    expect(c.served).toEqual([0, 1, 2]);
  });

  it('reports a send that throws and goes on with the others', async () => {
    const errors: unknown[] = [];
    const c = clocked(0);
    const q = new SendQueue({ now: c.now, onError: (err) => errors.push(err) });
    q.mark({
      sendPending() {
        throw new Error('torn down');
      },
    });
    q.mark(c.target(7));
    await turn();
    expect(errors).toHaveLength(1);
    expect(c.served).toEqual([7]);
  });
});
