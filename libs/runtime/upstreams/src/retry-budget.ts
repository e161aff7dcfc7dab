import type { Clock } from './clock.js';
import type { Retries as RetryOptions } from '@gw/api-schema';

/**
 * Bounds retries so they cannot storm an upstream that is already failing (Envoy's retry
 * budget, with Finagle's per-second floor). A retry may start when either
 * - the retries in flight stay at or below `budgetPercent` of the requests in flight
 *   (a retry counts as in flight from `tryAcquire` to `retryEnded`), or
 * - fewer than `budgetMinPerSecond` retries started in the last second,
 * so a busy upstream gets at most ~20 % extra load and a quiet one can still retry.
 */
export class RetryBudget {
  readonly #percent: number;
  readonly #clock: Clock;
  /** Start times of the latest `budgetMinPerSecond` retries, as a ring. */
  readonly #recent: Float64Array;
  #recentNext = 0;
  #active = 0;
  #retries = 0;

  constructor(options: Pick<RetryOptions, 'budgetPercent' | 'budgetMinPerSecond'>, clock: Clock) {
    this.#percent = options.budgetPercent;
    this.#clock = clock;
    this.#recent = new Float64Array(Math.max(0, Math.floor(options.budgetMinPerSecond))).fill(Number.NEGATIVE_INFINITY);
  }

  /** Requests in flight (first tries and retries alike count once per request). */
  get active(): number {
    return this.#active;
  }

  /** Retries in flight. */
  get retries(): number {
    return this.#retries;
  }

  requestStarted(): void {
    this.#active++;
  }

  requestEnded(): void {
    if (this.#active > 0) this.#active--;
  }

  /** Takes budget for one retry (end it with `retryEnded`), or returns false. */
  tryAcquire(): boolean {
    const now = this.#clock.now();
    const recent = this.#recent;
    const withinPercent = (this.#retries + 1) * 100 <= this.#percent * this.#active;
    // The oldest of the latest N starts is more than a second ago: fewer than N in the last second.
    const withinFloor = recent.length > 0 && now - recent[this.#recentNext]! >= 1_000;
    if (!withinPercent && !withinFloor) return false;
    if (recent.length > 0) {
      recent[this.#recentNext] = now;
      this.#recentNext = (this.#recentNext + 1) % recent.length;
    }
    this.#retries++;
    return true;
  }

  retryEnded(): void {
    if (this.#retries > 0) this.#retries--;
  }
}
