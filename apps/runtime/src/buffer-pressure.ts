import v8 from 'node:v8';
import { silentLogger, type Logger } from '@gw/logging';
import { RESPONSE_BUFFER_SHARE, type BufferBudget } from '@gw/proxy';
import { trimAllocator } from './allocator-trim.js';
import { v8Gc } from './heap-compaction.js';
import { holdYoungGeneration } from './young-generation.js';

/** How often `BUFFER_MEMORY_BYTES` is looked at for the young generation's hold. */
export const BUFFER_PRESSURE_CHECK_MS = 250;
/** How often, while held, the Buffers' memory (V8's external memory) is looked at. */
const COLLECT_CHECK_MS = 50;
/**
 * How much the Buffers' memory may grow past what it was after the last scavenge before
 * the next one is asked for, while held (a scavenge under the attack took ~10 ms).
 */
export const COLLECT_GROWTH_BYTES = 16 * 1024 * 1024;
/** At most one allocator trim per this (allocator-trim.ts; one took up to ~15 ms with ~175 MB of holes). */
export const TRIM_MIN_GAP_MS = 250;
/** At most one full GC asked for per this (one took 50–100 ms at the height of the attack). */
const FULL_GC_MIN_GAP_MS = 1_000;

/** A GC now: a scavenge frees the Buffers whose last reference died young, a full one the rest. */
function collectGarbage(type: 'minor' | 'major'): void {
  v8Gc()({ type, execution: 'sync' });
}

/** The hold on the young generation while the buffer budget is spent, and how it is ended. */
export interface BufferPressureHold {
  /** Held now. */
  readonly held: boolean;
  /** Scavenges asked for while held (the Buffers' memory grew by `COLLECT_GROWTH_BYTES`). */
  readonly scavenges: number;
  /** Full GCs asked for while held (responses holding `COLLECT_GROWTH_BYTES` were cut). */
  readonly fullGcs: number;
  /** Allocator trims after those GCs (allocator-trim.ts), and the RSS they gave back (bytes). */
  readonly trims: number;
  readonly trimmedBytes: number;
  /** Looks at the budget now (the timer does it every `BUFFER_PRESSURE_CHECK_MS`). */
  check(): void;
  /** Stops watching and gives the hold back. */
  stop(): void;
}

/**
 * Holds V8's young generation at its size (young-generation.ts) while
 * `gateway_buffer_memory_bytes` is at or past the share of `BUFFER_MEMORY_BYTES` that
 * response buffering may fill (`RESPONSE_BUFFER_SHARE`: past it, responses are no longer
 * kept in memory, the runtime is shedding memory), and gives it back once it is below again.
 *
 * Why: under a slow-read attack the budget fills with the open connections' charges and
 * what lagging connections hold, while the attack's allocation rate makes V8 double the
 * semi-spaces up to their maximum; it never gives them back, and committed-but-unused
 * young generation was the largest term left outside the budget (~130 MB at 2,000 slow
 * readers, docs/slow-clients.md), and it grows in the attack's first seconds, while the
 * first slow readers' responses are read at full speed: the budget's limit is reached too
 * late to matter. Past the response share the runtime is shedding memory buffering
 * already; not growing the young generation then is the same decision for the heap.
 * Well-behaved traffic alone does not fill half the budget (128 MiB kept for slow clients), so its young generation sizes
 * as V8 chooses. An operator's own `--semi-space-growth-factor`/`--max-semi-space-size`
 * turns the hold off (young-generation.ts).
 *
 * While held, it also asks V8 for a scavenge each time the Buffers' memory (V8's external
 * memory) has grown by `COLLECT_GROWTH_BYTES` since the last one. Why: a slow-read attack
 * makes the runtime relay ~1 MiB per slow reader (into memory, a file or a paused socket),
 * and each upstream read is a Buffer that is garbage once written; their wrappers are
 * small, so the young generation (held small) fills slowly and the Buffers' memory waited
 * for the next scavenge: 120–190 MB of `arrayBuffers` at the height was neither queued
 * for a client nor counted by the budget, and RSS keeps the high-water mark
 * (docs/slow-clients.md, *Lagging responses cut*). Growth-driven, so an idle runtime and
 * traffic that stays under half the budget never pay for it.
 *
 * After each of those GCs (at most one trim per `TRIM_MIN_GAP_MS`), it gives the C
 * allocator's free memory back to the kernel (allocator-trim.ts). Why: what they free
 * goes back to glibc in holes between Buffers still held, which glibc keeps resident:
 * each cut wave of the attack left RSS at its high-water mark, and the combined attack
 * passed budget + baseline by up to 36 MiB (docs/slow-clients.md, *The allocator gives
 * memory back under pressure*). Only after a GC: a runtime held by its open connections'
 * charges alone frees nothing, and pays nothing.
 */
export function holdYoungGenerationUnderBufferPressure(budget: BufferBudget, intervalMs = BUFFER_PRESSURE_CHECK_MS, logger: Logger = silentLogger): BufferPressureHold {
  let release: (() => void) | undefined;
  let collector: NodeJS.Timeout | undefined;
  let scavenges = 0;
  let fullGcs = 0;
  let trims = 0;
  let trimmedBytes = 0;
  let externalAfter = 0;
  let shedCollected = budget.shedBytes;
  let fullGcAt = -Infinity;
  let trimAt = -Infinity;
  let trimUnavailableLogged = false;
  const trim = (now: number): void => {
    if (now - trimAt < TRIM_MIN_GAP_MS) return;
    trimAt = now;
    const result = trimAllocator();
    if (result.trimmed) {
      trims++;
      trimmedBytes += Math.max(0, result.bytes);
    } else if (!trimUnavailableLogged) {
      trimUnavailableLogged = true;
      logger.info({ reason: result.reason }, 'allocator trim unavailable: RSS keeps what the C allocator holds after buffer pressure (docs/slow-clients.md)');
    }
  };
  const collect = (): void => {
    const now = performance.now();
    if (budget.shedBytes - shedCollected >= COLLECT_GROWTH_BYTES && now - fullGcAt >= FULL_GC_MIN_GAP_MS) {
      // Responses cut to give memory back: what they held is old by then, only a full GC frees it.
      collectGarbage('major');
      fullGcs++;
      fullGcAt = now;
      shedCollected = budget.shedBytes;
    } else if (v8.getHeapStatistics().external_memory - externalAfter >= COLLECT_GROWTH_BYTES) {
      collectGarbage('minor');
      scavenges++;
    } else return;
    externalAfter = v8.getHeapStatistics().external_memory;
    // What the GC freed went back to the allocator, in holes between what is still held: back to the kernel too.
    trim(now);
  };
  const endHold = (): void => {
    release?.();
    release = undefined;
    clearInterval(collector);
    collector = undefined;
  };
  const check = (): void => {
    const spent = budget.used >= budget.limitBytes * RESPONSE_BUFFER_SHARE;
    if (spent && release === undefined) {
      release = holdYoungGeneration();
      externalAfter = v8.getHeapStatistics().external_memory;
      shedCollected = budget.shedBytes;
      collector = setInterval(collect, COLLECT_CHECK_MS);
      collector.unref();
    } else if (!spent && release !== undefined) endHold();
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return {
    get held() {
      return release !== undefined;
    },
    get scavenges() {
      return scavenges;
    },
    get fullGcs() {
      return fullGcs;
    },
    get trims() {
      return trims;
    },
    get trimmedBytes() {
      return trimmedBytes;
    },
    check,
    stop(): void {
      clearInterval(timer);
      endHold();
    },
  };
}
