import type { Clock } from './clock.js';
import { FailureWindow } from './failure-window.js';
import type { CircuitBreaker as CircuitBreakerOptions } from '@gw/api-schema';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** `tryAcquire` results. */
export const ADMITTED = 0;
/** Every slot is taken; the request may wait (`enqueue`) if the queue has room. */
export const FULL = 1;
/** The breaker is open (or half-open with its trial requests out): refuse at once. */
export const OPEN = 2;
export type Admission = typeof ADMITTED | typeof FULL | typeof OPEN;

/** A request waiting for a slot; `granted` is false when the breaker opened meanwhile. */
export interface PendingRequest {
  readonly grant: (granted: boolean) => void;
}

export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** Failures and requests in the window when it opened. */
  readonly failures: number;
  readonly requests: number;
}

/**
 * The circuit breaker of one upstream: a bulkhead and a failure-rate breaker.
 *
 * - At most `maxConcurrent` requests hold a slot (a slot is held from admission to the
 *   end of the response, across retries, so it bounds what the upstream sees); up to
 *   `maxPending` more wait in FIFO order; beyond that `tryAcquire` says FULL and
 *   `enqueue` refuses.
 * - Closed → open when, within `windowMs`, at least `minRequests` tries completed and
 *   `failureRatePercent` of them failed. Open refuses everything for `openMs` and turns
 *   away everyone waiting. Then half-open: up to `halfOpenRequests` trial requests are
 *   admitted; one failure opens again, `halfOpenRequests` successes close it.
 *
 * Rejections are never recorded as failures: the breaker's own refusals say nothing
 * about the upstream.
 */
export class CircuitBreaker {
  readonly #o: CircuitBreakerOptions;
  readonly #clock: Clock;
  readonly #window: FailureWindow;
  readonly #queue: PendingRequest[] = [];
  #queueHead = 0;
  #state: BreakerState = 'closed';
  #openedAt = 0;
  #active = 0;
  #trialsAdmitted = 0;
  #trialSuccesses = 0;
  readonly #onTransition: ((t: BreakerTransition) => void) | undefined;

  constructor(options: CircuitBreakerOptions, clock: Clock, onTransition?: (t: BreakerTransition) => void) {
    this.#o = options;
    this.#clock = clock;
    this.#window = new FailureWindow(options.windowMs, clock);
    this.#onTransition = onTransition;
  }

  get state(): BreakerState {
    this.#tick();
    return this.#state;
  }

  /** Requests holding a slot. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting for a slot. */
  get pending(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Takes a slot (ADMITTED, release it with `release`), or says why not. */
  tryAcquire(): Admission {
    this.#tick();
    if (this.#state === 'open') return OPEN;
    if (this.#state === 'half-open') {
      if (this.#trialsAdmitted >= this.#o.halfOpenRequests) return OPEN;
      if (this.#active >= this.#o.maxConcurrent) return FULL;
      this.#trialsAdmitted++;
      this.#active++;
      return ADMITTED;
    }
    // Waiting requests go first: no overtaking the queue.
    if (this.#active >= this.#o.maxConcurrent || this.pending > 0) return FULL;
    this.#active++;
    return ADMITTED;
  }

  /**
   * After FULL: waits for a slot. Returns false when the queue is full (refuse the
   * request). `grant(true)` hands over a slot (release it later); `grant(false)` means
   * the breaker opened meanwhile.
   */
  enqueue(request: PendingRequest): boolean {
    if (this.#state !== 'closed' || this.pending >= this.#o.maxPending) return false;
    this.#queue.push(request);
    return true;
  }

  /** Withdraws a waiting request (its client left or its deadline passed). */
  cancel(request: PendingRequest): void {
    const at = this.#queue.indexOf(request, this.#queueHead);
    if (at !== -1) this.#queue.splice(at, 1);
  }

  /** Gives back a slot; the longest-waiting request gets it. */
  release(): void {
    if (this.#active > 0) this.#active--;
    this.#tick();
    while (this.pending > 0 && this.#active < this.#o.maxConcurrent) {
      const next = this.#shift()!;
      if (this.#state !== 'closed') {
        next.grant(false);
        continue;
      }
      this.#active++;
      next.grant(true);
    }
  }

  /** The outcome of one try: `false` for a 5xx response or a gateway failure. */
  record(success: boolean): void {
    this.#tick();
    if (this.#state === 'half-open') {
      if (!success) return this.#open();
      if (++this.#trialSuccesses >= this.#o.halfOpenRequests) this.#to('closed');
      return;
    }
    if (this.#state === 'open') return;
    this.#window.record(!success);
    if (success) return;
    const requests = this.#window.requests;
    if (requests < this.#o.minRequests) return;
    if (this.#window.failures * 100 >= this.#o.failureRatePercent * requests) this.#open();
  }

  #tick(): void {
    if (this.#state === 'open' && this.#clock.now() - this.#openedAt >= this.#o.openMs) this.#to('half-open');
  }

  #open(): void {
    const failures = this.#window.failures;
    const requests = this.#window.requests;
    this.#openedAt = this.#clock.now();
    this.#to('open', failures, requests);
    // Nobody waits for a slot behind an open breaker.
    while (this.pending > 0) this.#shift()!.grant(false);
  }

  #to(state: BreakerState, failures = 0, requests = 0): void {
    const from = this.#state;
    this.#state = state;
    this.#trialsAdmitted = 0;
    this.#trialSuccesses = 0;
    if (state === 'closed') this.#window.reset();
    if (from !== state) this.#onTransition?.({ from, to: state, failures, requests });
  }

  #shift(): PendingRequest | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const next = this.#queue[this.#queueHead++];
    if (this.#queueHead > 64 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return next;
  }
}
