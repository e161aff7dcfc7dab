import type { FleetStore } from '@gw/store';

type LastNack = { epoch: number; version: number };

/** How long recalls are gathered before one read: a resync storm admits ~100 streams a second. */
export const NACK_RECALL_GATHER_MS = 20;
/** Runtime ids per read (a bounded statement whatever the storm). */
export const NACK_RECALL_BATCH = 500;

/**
 * Each new config stream asks for its runtime's last NACK (recorded by any replica). One
 * point read per stream made a resync storm queue hundreds of reads on the fleet pool's
 * two connections, behind the batched session writes, and many missed their deadline
 * (bench:fleet: 191 "no answer about the runtime's last NACK in time" at 1,000
 * runtimes). The recalls of `gatherMs` are read together, one statement per batch.
 */
export class NackRecallBatcher {
  readonly #store: Pick<FleetStore, 'lastNacks'>;
  readonly #gatherMs: number;
  readonly #batch: number;
  #waiting = new Map<string, { resolve: (n: LastNack | undefined) => void; reject: (err: unknown) => void }[]>();
  #timer: NodeJS.Timeout | undefined;
  #reads = 0;

  constructor(options: { store: Pick<FleetStore, 'lastNacks'>; gatherMs?: number; batch?: number }) {
    this.#store = options.store;
    this.#gatherMs = options.gatherMs ?? NACK_RECALL_GATHER_MS;
    this.#batch = options.batch ?? NACK_RECALL_BATCH;
  }

  /** Reads issued so far (each covers every recall gathered meanwhile). */
  get reads(): number {
    return this.#reads;
  }

  /** The runtime's last NACK, read with the other recalls of the next few milliseconds. */
  recall(runtimeId: string): Promise<LastNack | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.#waiting.get(runtimeId);
      if (list) list.push({ resolve, reject });
      else this.#waiting.set(runtimeId, [{ resolve, reject }]);
      if (this.#waiting.size >= this.#batch) this.#readNow();
      else this.#timer ??= setTimeout(() => this.#readNow(), this.#gatherMs);
    });
  }

  #readNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#waiting;
    if (batch.size === 0) return;
    this.#waiting = new Map();
    this.#reads++;
    this.#store.lastNacks([...batch.keys()]).then(
      (found) => {
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(found.get(id));
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }
}
