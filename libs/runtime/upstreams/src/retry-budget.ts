import type { Retries as RetryOptions } from '@gw/api-schema';

/**
 * Bounds retries so they cannot storm an upstream that is already failing, with Envoy's
 * retry-budget semantics: a retry may start while the retries in flight stay below
 * `max(minRetryConcurrency, budgetPercent % of the requests in flight)`. A retry counts
 * as in flight from `tryAcquire` (its backoff included) to `retryEnded`.
 *
 * The floor is a concurrency, not a rate: when a target dies, the requests in flight on
 * it all fail within a millisecond or two and each wants one retry at once; a per-second
 * floor refused part of that burst (client-visible 502s), while retries in flight end
 * within a few milliseconds on a healthy target and free their place. A storm is still
 * capped: however many requests fail, no more than the bound are retrying at any moment.
 *
 * A retry refused a place may wait for one (`waitForSlot`, bounded in time by the
 * caller): places are handed out in arrival order as retries end, still under the bound.
 * That lets the burst of a dying target through a few milliseconds late instead of
 * failing it, while a real storm, whose retries do not end quickly, leaves the waiters
 * to their time limit.
 */
export class RetryBudget {
  readonly #percent: number;
  readonly #minConcurrency: number;
  #active = 0;
  #retries = 0;
  /** Retries waiting for a place, in arrival order; each is called holding its place. Made by the first wait. */
  #waiters: Set<() => void> | undefined;

  constructor(options: Pick<RetryOptions, 'budgetPercent' | 'minRetryConcurrency'>) {
    this.#percent = options.budgetPercent;
    this.#minConcurrency = options.minRetryConcurrency;
  }

  /** Requests in flight (first tries and retries alike count once per request). */
  get active(): number {
    return this.#active;
  }

  /** Retries in flight. */
  get retries(): number {
    return this.#retries;
  }

  /** The most retries that may be in flight now. */
  get limit(): number {
    return Math.max(this.#minConcurrency, Math.floor((this.#percent * this.#active) / 100));
  }

  requestStarted(): void {
    this.#active++;
  }

  requestEnded(): void {
    if (this.#active > 0) this.#active--;
  }

  /** Takes budget for one retry (end it with `retryEnded`), or returns false. */
  tryAcquire(): boolean {
    if (this.#retries >= this.limit) return false;
    this.#retries++;
    return true;
  }

  /** Retries waiting for a place now. */
  get waiting(): number {
    return this.#waiters?.size ?? 0;
  }

  /**
   * Calls `granted` (holding one retry place, to end with `retryEnded`) as soon as a
   * place frees, after the waiters before it. Returns the cancel function: the caller
   * bounds the wait, and a request that ends meanwhile must cancel.
   */
  waitForSlot(granted: () => void): () => void {
    const waiters = (this.#waiters ??= new Set());
    waiters.add(granted);
    return () => void waiters.delete(granted);
  }

  retryEnded(): void {
    if (this.#retries > 0) this.#retries--;
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    for (const waiter of waiters) {
      if (!this.tryAcquire()) return;
      waiters.delete(waiter);
      waiter();
    }
  }
}
