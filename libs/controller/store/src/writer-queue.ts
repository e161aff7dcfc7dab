import { ErrorCodes, GatewayError } from '@gw/errors';

/** How long a write waits for this replica's earlier writes before it is answered GW_CONTROLLER_BUSY. */
export const DEFAULT_WRITER_QUEUE_TIMEOUT_MS = 15_000;

/**
 * How many of this replica's single-API writes run at once. A write reads and decides
 * before it takes the writers' lock (the config_state row, see createApiStore), so a few
 * overlap usefully: one holds the lock for its last statement and COMMIT while the next
 * ones read. A few, not many: each holds a pooled connection while it waits for the lock.
 */
export const DEFAULT_WRITE_CONCURRENCY = 4;

/**
 * Runs this replica's config writes at most `concurrency` at a time, in arrival order.
 * PostgreSQL serializes writers on the config_state row lock anyway; queueing the rest
 * here means a waiting write holds no pooled connection and is not cancelled by the
 * statement timeout while it waits for the lock (a controller busy with a fleet made the
 * lock holder slow, and the waiters' lock waits were reported as a database outage: issue
 * 16). A write that waits longer than `maxWaitMs` is refused with GW_CONTROLLER_BUSY
 * (nothing written) and gives its turn up.
 */
export class WriterQueue {
  readonly #queue: { start(): void }[] = [];
  #running = 0;

  constructor(
    private readonly maxWaitMs: number = DEFAULT_WRITER_QUEUE_TIMEOUT_MS,
    private readonly concurrency = 1,
  ) {}

  /** Writes queued behind the running ones. */
  get waiting(): number {
    return this.#queue.length;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(timer);
          this.#running++;
          // A synchronous throw counts as a failed write too, and still passes the turn on.
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              this.#running--;
              this.#next();
            });
        },
      };
      const timer = setTimeout(() => {
        const at = this.#queue.indexOf(entry);
        if (at === -1) return;
        this.#queue.splice(at, 1);
        reject(new GatewayError(ErrorCodes.GW_CONTROLLER_BUSY, `This controller's earlier writes took longer than ${this.maxWaitMs} ms.`));
      }, this.maxWaitMs);
      timer.unref();
      this.#queue.push(entry);
      this.#next();
    });
  }

  #next(): void {
    while (this.#running < this.concurrency && this.#queue.length > 0) this.#queue.shift()!.start();
  }
}
