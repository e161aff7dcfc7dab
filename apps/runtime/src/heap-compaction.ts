import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's `gc()` as `--expose-gc` declares it (its options, in the V8 that Node 24 ships). */
type GcFunction = (options: { type: 'major' | 'minor'; execution: 'sync'; flavor?: 'last-resort' }) => void;

let gc: GcFunction | undefined;

/**
 * V8's `gc()` without `--expose-gc` on the command line: the flag set at run time exposes
 * the function to contexts made afterwards, such as the one made here; the runtime's own
 * global scope does not get it.
 */
export function v8Gc(): GcFunction {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as GcFunction;
  }
  return gc;
}

/** What one compaction did, for the log. */
export interface HeapCompaction {
  readonly ms: number;
  readonly heapTotalBefore: number;
  readonly heapTotalAfter: number;
}

/**
 * Runs V8's memory-reducing full GC (the "last resort" one: marks, compacts and gives
 * freed and pooled pages back to the OS) on the event loop, now.
 *
 * Why: a bulk apply (the boot with 10,000 APIs, a `POST /v1/apply` of thousands) grows
 * the old generation far past what the config keeps, and V8 keeps those pages: a runtime
 * booted from a 10,000-API cache held ~125 MB of committed heap and ~25 MB of pooled
 * pages for ~60 MB live, and its memory reducer did not run in minutes of quiet
 * (docs/benchmarks.md, "Runtime memory at 10,000 APIs"). The regular full GC keeps the
 * pages. The pause is of the order of the apply's own (which is synchronous too) and
 * happens once per bulk apply.
 */
export function compactHeap(): HeapCompaction {
  const gc = v8Gc();
  const heapTotalBefore = v8.getHeapStatistics().total_heap_size;
  const started = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return { ms: performance.now() - started, heapTotalBefore, heapTotalAfter: v8.getHeapStatistics().total_heap_size };
}
