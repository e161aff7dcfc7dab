import { ErrorCodes, GatewayError } from '@gw/errors';

/** How long a write waits for this replica's earlier writes before it is answered GW_CONTROLLER_BUSY. */
export const DEFAULT_WRITER_QUEUE_TIMEOUT_MS = 15_000;

/**
 * Runs this replica's config writes one at a time, in arrival order. Every write takes the
 * config_state row lock first (the version bump), so PostgreSQL serializes writers anyway;
 * queueing them here instead means a waiting write holds no pooled connection and is not
 * cancelled by the statement timeout while it waits for the lock (a controller busy with
 * a fleet made the lock holder slow, and the waiters' lock waits were reported as a
 * database outage: issue 16). A write that waits longer than `maxWaitMs` is refused with
 * GW_CONTROLLER_BUSY (nothing written) and gives its turn up.
 */
export class WriterQueue {
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

  constructor(private readonly maxWaitMs: number = DEFAULT_WRITER_QUEUE_TIMEOUT_MS) {}

  /** Writes queued behind the running one. */
  get waiting(): number {
    return this.#waiting;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    this.#waiting++;
    return new Promise<T>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.#waiting--;
        reject(new GatewayError(ErrorCodes.GW_CONTROLLER_BUSY, `This controller's earlier writes took longer than ${this.maxWaitMs} ms.`));
      }, this.maxWaitMs);
      timer.unref();
      void previous.then(() => {
        clearTimeout(timer);
        if (timedOut) {
          release();
          return;
        }
        this.#waiting--;
        // A synchronous throw counts as a failed write too, and still passes the turn on.
        Promise.resolve()
          .then(fn)
          .then(resolve, reject)
          .finally(release);
      });
    });
  }
}
