import { gcraStep, type GcraParams, type GcraResult } from './gcra.js';

/**
 * GCRA state in this process: the limiter for `scope: local` and the fallback of a
 * `failureMode: open` policy while Redis is unavailable. No I/O.
 *
 * Memory is bounded: at `maxKeys` keys the least recently used key is dropped (O(1);
 * its bucket is the most likely to be full again anyway). Dropping a key forgets its
 * count, which errs on the side of letting requests through: a flood of distinct keys
 * can loosen limits for others, never tighten them.
 */
export class LocalLimiter {
  private readonly tats = new Map<string, number>();

  constructor(
    private readonly params: GcraParams,
    private readonly maxKeys = 100_000,
  ) {}

  /** `nowUs`: a monotonic clock in microseconds. */
  take(key: string, nowUs: number, cost = 1): GcraResult {
    const result = gcraStep(this.tats.get(key), nowUs, this.params, cost);
    if (result.allowed) {
      // Re-insert so Map order is least recently used first.
      this.tats.delete(key);
      if (this.tats.size >= this.maxKeys) this.tats.delete(this.tats.keys().next().value!);
      this.tats.set(key, result.tat);
    }
    return result;
  }

  get size(): number {
    return this.tats.size;
  }
}
