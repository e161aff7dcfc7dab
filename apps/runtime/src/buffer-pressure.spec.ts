import { createServer, connect, type Server, type Socket } from 'node:net';
import { BufferBudget, RESPONSE_BUFFER_SHARE } from '@gw/proxy';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { COLLECT_GROWTH_BYTES, TRIM_MIN_GAP_MS, holdYoungGenerationUnderBufferPressure } from './buffer-pressure.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A local server whose accepted sockets are charged in `budget`, as the proxy listener does. */
async function charging(budget: BufferBudget): Promise<number> {
  const server: Server = createServer((socket) => budget.chargeConnection(socket));
  const port = await listenLocal(server);
  cleanups.push(() => closeServer(server));
  return port;
}

function open(port: number, n: number): Socket[] {
  return Array.from({ length: n }, () => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    cleanups.push(() => s.destroy());
    return s;
  });
}

describe('holdYoungGenerationUnderBufferPressure', () => {
  it('holds while open connections fill the response buffering share of BUFFER_MEMORY_BYTES, and gives the hold back once they close', async () => {
    // Three connections' charges fill the share response buffering may use.
    const budget = new BufferBudget(3 * 1024 / RESPONSE_BUFFER_SHARE, 1024);
    const hold = holdYoungGenerationUnderBufferPressure(budget, 20);
    cleanups.push(() => hold.stop());
    const port = await charging(budget);
    const two = open(port, 2);
    await waitFor('two charged', () => budget.connectionUsed === 2 * 1024);
    hold.check();
    expect(hold.held).toBe(false);
    const third = open(port, 1);
    await waitFor('the hold', () => hold.held);
    // Held by charges alone, nothing is freed: over a few of the collector's looks (50 ms)
    // and trim gaps, no GC is asked for and the allocator is left alone.
    await new Promise((resolve) => setTimeout(resolve, 3 * TRIM_MIN_GAP_MS));
    expect([hold.scavenges, hold.fullGcs, hold.trims]).toEqual([0, 0, 0]);
    expect(budget.used).toBe(budget.limitBytes * RESPONSE_BUFFER_SHARE);
    third[0]!.destroy();
    await waitFor('the hold given back', () => !hold.held);
    for (const s of two) s.destroy();
    await waitFor('every charge given back', () => budget.used === 0);
    hold.stop();
    expect(hold.held).toBe(false);
  });

  it('while held, asks for a scavenge each time the Buffers\' memory has grown by COLLECT_GROWTH_BYTES, trims the allocator after it, and gives the hold back as before', async () => {
    const budget = new BufferBudget(3 * 1024 / RESPONSE_BUFFER_SHARE, 1024);
    const hold = holdYoungGenerationUnderBufferPressure(budget, 20);
    cleanups.push(() => hold.stop());
    const port = await charging(budget);
    const three = open(port, 3);
    await waitFor('the hold', () => hold.held);
    // Buffers let go of at once, as a relayed upstream read is once written: garbage that
    // only a GC gives back.
    const garbage = (): void => {
      for (let i = 0; i < (2 * COLLECT_GROWTH_BYTES) / (1024 * 1024); i++) Buffer.alloc(1024 * 1024);
    };
    garbage();
    await waitFor('a scavenge asked for', () => hold.scavenges > 0);
    // What it freed is given back to the kernel (glibc here: allocator-trim.spec.ts).
    await waitFor('the allocator trimmed', () => hold.trims > 0);
    for (const s of three) s.destroy();
    await waitFor('the hold given back', () => !hold.held);
  });
});
