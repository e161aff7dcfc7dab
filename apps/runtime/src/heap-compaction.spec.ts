import { PerformanceObserver, constants } from 'node:perf_hooks';
import { waitFor } from '@gw/test-kit';
import { describe, expect, it } from 'vitest';
import { compactHeap } from './heap-compaction.js';

describe('compactHeap', () => {
  it('runs a full GC now that gives back the pages freed objects held, and leaves no gc() in the global scope', async () => {
    const hadGc = 'gc' in globalThis;
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) kinds.push((e as unknown as { detail: { kind: number } }).detail.kind);
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      // ~60 MB of small objects that survive into the old generation, then let go of: V8's
      // regular GC frees them but keeps the pages they filled (what a bulk apply leaves).
      let junk: { i: number; s: string }[] | undefined = Array.from({ length: 600_000 }, (_, i) => ({ i, s: `item-${i}` }));
      expect(junk).toHaveLength(600_000);
      junk = undefined;
      const done = compactHeap();
      expect(done.heapTotalAfter).toBeLessThan(done.heapTotalBefore);
      // GC entries are delivered asynchronously.
      await waitFor('a major GC observed', () => kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR), { timeoutMs: 5_000 });
      expect('gc' in globalThis).toBe(hadGc);
    } finally {
      observer.disconnect();
    }
  });
});
