import type { Clock } from './clock.js';

const BUCKETS = 10;

/**
 * Requests and failures over the last `windowMs`, in ten buckets that slide with the
 * clock: old outcomes leave the window a tenth of it at a time, with O(1) work per call.
 */
export class FailureWindow {
  readonly #bucketMs: number;
  /** Requests per bucket, then failures per bucket (one array: a typed array costs ~150 bytes of its own). */
  readonly #counts = new Uint32Array(2 * BUCKETS);
  /** The bucket number (time / bucketMs) the newest bucket stands for. */
  #head = 0;
  #headSlot = 0;

  constructor(
    windowMs: number,
    private readonly clock: Clock,
  ) {
    this.#bucketMs = Math.max(1, windowMs / BUCKETS);
    this.#head = Math.floor(clock.now() / this.#bucketMs);
  }

  record(failure: boolean): void {
    this.#advance();
    this.#counts[this.#headSlot]!++;
    if (failure) this.#counts[BUCKETS + this.#headSlot]!++;
  }

  get requests(): number {
    this.#advance();
    let n = 0;
    for (let i = 0; i < BUCKETS; i++) n += this.#counts[i]!;
    return n;
  }

  get failures(): number {
    this.#advance();
    let n = 0;
    for (let i = BUCKETS; i < 2 * BUCKETS; i++) n += this.#counts[i]!;
    return n;
  }

  reset(): void {
    this.#counts.fill(0);
  }

  #advance(): void {
    const bucket = Math.floor(this.clock.now() / this.#bucketMs);
    const steps = bucket - this.#head;
    if (steps <= 0) return;
    if (steps >= BUCKETS) {
      this.reset();
    } else {
      for (let s = 1; s <= steps; s++) {
        const slot = (this.#headSlot + s) % BUCKETS;
        this.#counts[slot] = 0;
        this.#counts[BUCKETS + slot] = 0;
      }
    }
    this.#headSlot = (this.#headSlot + steps) % BUCKETS;
    this.#head = bucket;
  }
}
