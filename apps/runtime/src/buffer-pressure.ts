import { RESPONSE_BUFFER_SHARE, type BufferBudget } from '@gw/proxy';
import { holdYoungGeneration } from './young-generation.js';

/** How often `BUFFER_MEMORY_BYTES` is looked at for the young generation's hold. */
export const BUFFER_PRESSURE_CHECK_MS = 250;

/** The hold on the young generation while the buffer budget is spent, and how it is ended. */
export interface BufferPressureHold {
  /** Held now. */
  readonly held: boolean;
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
 */
export function holdYoungGenerationUnderBufferPressure(budget: BufferBudget, intervalMs = BUFFER_PRESSURE_CHECK_MS): BufferPressureHold {
  let release: (() => void) | undefined;
  const check = (): void => {
    const spent = budget.used >= budget.limitBytes * RESPONSE_BUFFER_SHARE;
    if (spent && release === undefined) release = holdYoungGeneration();
    else if (!spent && release !== undefined) {
      release();
      release = undefined;
    }
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return {
    get held() {
      return release !== undefined;
    },
    check,
    stop(): void {
      clearInterval(timer);
      release?.();
      release = undefined;
    },
  };
}
