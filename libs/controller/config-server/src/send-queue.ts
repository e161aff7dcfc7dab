/** Something that may have a response to send: it decides what (the newest snapshot) when its turn comes. */
export interface SendTarget {
  sendPending(): void;
}

/** How long one slice of sends may run before the queue yields to the event loop. */
export const DEFAULT_SEND_SLICE_MS = 5;

/**
 * The streams that may have something to send, served in slices that yield to the event
 * loop (issue 16: a fan-out must never block the loop for long). A new snapshot marks
 * every stream; an ACK marks its own. Each slice sends for as many streams as fit in
 * `sliceMs`, then the rest wait for the next turn of the loop (setImmediate): ACKs,
 * deploy API requests and database answers are handled in between. A stream is queued
 * once however often it is marked, and sends what is newest when its turn comes, so a
 * burst of versions coalesces into fewer responses when the fleet is busy (the way
 * Istio's push queue throttles pushes), and a quiet fleet still gets every version at once.
 */
export class SendQueue {
  readonly #queue = new Set<SendTarget>();
  readonly #sliceMs: number;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #onIdle: () => void;
  #immediate: NodeJS.Immediate | undefined;
  #slices = 0;

  constructor(options: { sliceMs?: number; now?: () => number; onError?: (err: unknown) => void; onIdle?: () => void } = {}) {
    this.#sliceMs = options.sliceMs ?? DEFAULT_SEND_SLICE_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#onError = options.onError ?? (() => undefined);
    this.#onIdle = options.onIdle ?? (() => undefined);
  }

  /** Queues `target` (once) for the next slice. */
  mark(target: SendTarget): void {
    this.#queue.add(target);
    this.#immediate ??= setImmediate(() => this.#drain());
  }

  /** A stream that ended is not served. */
  forget(target: SendTarget): void {
    this.#queue.delete(target);
  }

  /** Targets waiting for their turn. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** Slices run so far (a fan-out to many streams takes several). */
  get slices(): number {
    return this.#slices;
  }

  #drain(): void {
    this.#immediate = undefined;
    this.#slices++;
    const deadline = this.#now() + this.#sliceMs;
    // At least one per slice, so a slow clock or a slow send never stalls the queue.
    for (const target of this.#queue) {
      this.#queue.delete(target);
      try {
        target.sendPending();
      } catch (err) {
        // A send that throws (a stream torn down under it) must not stop the others.
        this.#onError(err);
      }
      if (this.#now() >= deadline) break;
    }
    if (this.#queue.size > 0) this.#immediate = setImmediate(() => this.#drain());
    else this.#onIdle();
  }
}
