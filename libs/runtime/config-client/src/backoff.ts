/**
 * Capped exponential backoff with full jitter (AWS architecture blog's "full jitter"):
 * a fleet of runtimes that lost the same controller spreads its reconnects out instead
 * of arriving at the next replica in one wave.
 */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay: uniform in [initial/2, min(max, initial·2^attempt)]. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    const floor = Math.min(ceiling, this.initialMs / 2);
    return Math.round(floor + this.random() * (ceiling - floor));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
