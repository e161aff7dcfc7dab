import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { compactHeap } from './heap-compaction.js';

describe('compactHeap', () => {
  it('runs a full GC now, and leaves no gc() in the global scope', async () => {
    const hadGc = 'gc' in globalThis;
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) kinds.push((e as unknown as { detail: { kind: number } }).detail.kind);
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      // Garbage for it to collect.
      let junk: unknown[] = Array.from({ length: 100_000 }, (_, i) => ({ i }));
      junk = [];
      const first = compactHeap();
      const second = compactHeap();
      expect(first.ms).toBeGreaterThanOrEqual(0);
      expect(second.heapTotalAfter).toBeGreaterThan(0);
      expect(junk).toEqual([]);
      // GC entries are delivered asynchronously.
      for (let i = 0; i < 50 && !kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR); i++) await new Promise((r) => setTimeout(r, 10));
      expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MAJOR);
      expect('gc' in globalThis).toBe(hadGc);
    } finally {
      observer.disconnect();
    }
  });
});
