import { backoffDelay, type BackoffOptions, type Random } from './backoff-delay.js';

/**
 * The attempt counter of a reconnect loop around `backoffDelay`: `next()` after each
 * failure, `reset()` once a connection proved healthy, so the next outage starts small.
 */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: Random = Math.random,
  ) {
    // Fail at construction, not at the first outage.
    backoffDelay(0, options, () => 0);
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call widens the window for the one after. */
  next(): number {
    return backoffDelay(this.#attempt++, this.options, this.random);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
