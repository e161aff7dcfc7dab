import { silentLogger, type Logger } from '@gw/logging';
import type { FleetState } from '@gw/store';

export type WaitOutcome =
  | { done: true; state: FleetState }
  /** Timed out, aborted or stopped: `state` is the last fleet read (undefined if every read failed, then `error` says why). */
  | { done: false; state: FleetState | undefined; error: unknown };

interface Waiter {
  check: (state: FleetState) => boolean;
  last: FleetState | undefined;
  error: unknown;
  finish: (done: boolean) => void;
}

export interface FleetWaiterOptions {
  read: () => Promise<FleetState>;
  /** How often the fleet is re-read while anyone waits (default 250 ms); `wake()` re-reads at once. */
  pollMs?: number;
  logger?: Logger;
}

/**
 * Waits for a condition on the fleet for any number of callers with one read loop: each
 * round reads the fleet once and checks every waiter. A round runs every `pollMs` (other
 * replicas' writes are only visible in the database) and at once on `wake()` (this
 * replica just recorded an ACK). No loop runs while nobody waits.
 */
export class FleetWaiter {
  readonly #read: () => Promise<FleetState>;
  readonly #pollMs: number;
  readonly #logger: Logger;
  readonly #waiters = new Set<Waiter>();
  #loop: Promise<void> | undefined;
  #woken = false;
  #sleep: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  #stopped = false;

  constructor(options: FleetWaiterOptions) {
    this.#read = options.read;
    this.#pollMs = options.pollMs ?? 250;
    this.#logger = options.logger ?? silentLogger;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  /** Re-checks now (coalesced with a round in flight). */
  wake(): void {
    this.#woken = true;
    const sleep = this.#sleep;
    if (sleep) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
  }

  /** Resolves when `check` holds on a fresh read, or when `timeoutMs` passes or `signal` aborts. */
  wait(check: (state: FleetState) => boolean, options: { timeoutMs: number; signal?: AbortSignal }): Promise<WaitOutcome> {
    if (this.#stopped) return Promise.resolve({ done: false, state: undefined, error: new Error('stopped') });
    return new Promise<WaitOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => waiter.finish(false);
      const waiter: Waiter = {
        check,
        last: undefined,
        error: undefined,
        finish: (done) => {
          if (!this.#waiters.delete(waiter)) return;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve(done ? { done: true, state: waiter.last! } : { done: false, state: waiter.last, error: waiter.error });
        },
      };
      this.#waiters.add(waiter);
      timer = setTimeout(() => waiter.finish(false), Math.max(0, options.timeoutMs));
      if (options.signal?.aborted) return waiter.finish(false);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#ensureLoop();
      this.wake();
    });
  }

  /** Ends every wait (as not done) and the loop: for shutdown, so no request holds it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of [...this.#waiters]) {
      w.error ??= new Error('stopped');
      w.finish(false);
    }
    this.wake();
    await this.#loop;
  }

  #ensureLoop(): void {
    if (this.#loop || this.#stopped) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      // A waiter that arrived while the loop was finishing needs a loop of its own.
      if (this.#waiters.size > 0) this.#ensureLoop();
    });
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#waiters.size > 0 && !this.#stopped) {
      this.#woken = false;
      try {
        const state = await this.#read();
        failures = 0;
        for (const w of [...this.#waiters]) {
          w.last = state;
          w.error = undefined;
          if (w.check(state)) w.finish(true);
        }
      } catch (err) {
        if (++failures === 1) this.#logger.warn({ err }, 'fleet status read failed while waiting for a version');
        for (const w of this.#waiters) w.error = err;
      }
      if (this.#waiters.size === 0 || this.#stopped) break;
      // After a failed read always pause: a database that is down is not asked in a loop.
      if (!this.#woken || failures > 0) {
        await new Promise<void>((resolve) => {
          this.#sleep = { timer: setTimeout(resolve, this.#pollMs), resolve };
        });
        this.#sleep = undefined;
      }
    }
  }
}
