import type { Clock } from './clock.js';

const BUCKETS = 10;

/**
 * Requests and failures over the last `windowMs`, in ten buckets that slide with the
 * clock: old outcomes leave the window a tenth of it at a time, with O(1) work per call.
 */
export class FailureWindow {
  readonly #bucketMs: number;
  readonly #requests = new Uint32Array(BUCKETS);
  readonly #failures = new Uint32Array(BUCKETS);
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
    this.#requests[this.#headSlot]!++;
    if (failure) this.#failures[this.#headSlot]!++;
  }

  get requests(): number {
    this.#advance();
    let n = 0;
    for (const r of this.#requests) n += r;
    return n;
  }

  get failures(): number {
    this.#advance();
    let n = 0;
    for (const f of this.#failures) n += f;
    return n;
  }

  reset(): void {
    this.#requests.fill(0);
    this.#failures.fill(0);
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
        this.#requests[slot] = 0;
        this.#failures[slot] = 0;
      }
    }
    this.#headSlot = (this.#headSlot + steps) % BUCKETS;
    this.#head = bucket;
  }
}
