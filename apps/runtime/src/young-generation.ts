import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';

/** V8's own default for `--semi-space-growth-factor`. */
const V8_DEFAULT_GROWTH = 2;

/** The operator chose the young generation's growth (or size) on the command line: leave V8 alone. */
const operatorChose = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].some((flag) => /^--(semi[-_]space[-_]growth[-_]factor|max[-_]semi[-_]space[-_]size)\b/.test(flag));

/**
 * Runs a bulk config apply (or a /metrics render at 10,000 APIs) (the boot from the disk cache, a controller's whole state)
 * without letting V8 grow its young generation.
 *
 * Why: applying 10,000 APIs allocates fast and most of it survives (it *is* the new
 * config), which is exactly when V8 doubles the semi-spaces, up to their maximum; it
 * never gives them back, so the runtime kept ~130 MB of committed young generation for
 * the rest of its life (docs/benchmarks.md, "Runtime apply, disk cache and memory"). What
 * survives a bulk apply belongs in the old generation anyway. Outside these calls the
 * growth factor is V8's default again, so proxy traffic sizes the young generation as it
 * always did (the README's note on young-generation size and p99 latency). The growth
 * factor is read by V8 each time it considers growing, so setting it at run time works;
 * the size limits are fixed at start-up and are left alone.
 */
export async function withYoungGenerationHeld<T>(run: () => T | Promise<T>): Promise<T> {
  const release = holdYoungGeneration();
  try {
    return await run();
  } finally {
    release();
  }
}

/**
 * Holds the young generation at its size until the returned function is called (once
 * counts; later calls do nothing). Holds may overlap (a scrape during an apply): the last
 * one released restores V8's default growth.
 */
export function holdYoungGeneration(): () => void {
  if (operatorChose) return () => undefined;
  if (holders++ === 0) v8.setFlagsFromString('--semi-space-growth-factor=1');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) v8.setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`);
  };
}

let holders = 0;

/** The young generation's committed bytes now (semi-spaces), for tests and benchmarks. */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Releases `release` once V8 has run its next full (mark-compact) GC, or after
 * `timeoutMs`. After a bulk apply the next full GC is the one that collects its garbage,
 * and V8 resizes the young generation at its end from what survived the apply's
 * scavenges: held until then, it stays small.
 */
export function releaseAfterNextFullGc(release: () => void, timeoutMs = 30_000): void {
  const done = () => {
    clearTimeout(timer);
    observer.disconnect();
    // Past the GC's own resizing step.
    setImmediate(release);
  };
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) done();
  });
  observer.observe({ entryTypes: ['gc'] });
  const timer = setTimeout(done, timeoutMs);
  timer.unref();
}
