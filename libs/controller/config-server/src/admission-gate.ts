import { TokenBucket } from './stream-limits.js';

export interface AdmissionRate {
  /** New streams admitted per second, sustained. */
  perSecond: number;
  /** Streams admitted at once above the sustained rate (e.g. a small fleet starting together). */
  burst: number;
}

/**
 * Enough for a replica to take over a few hundred runtimes within seconds, slow enough that
 * a resync storm (a replica died, its fleet reconnects here) leaves the event loop and the
 * fleet pool free for deploys. CONFIG_ADMIT_PER_SECOND overrides the rate.
 */
export const DEFAULT_ADMISSION_RATE: Readonly<AdmissionRate> = Object.freeze({ perSecond: 100, burst: 100 });

interface Waiter {
  resolve: (admitted: boolean) => void;
  cancelled: () => boolean;
}

/**
 * Admits new config streams at a bounded rate (a token bucket), first come first served.
 * What admission guards is a new stream's expensive part: its fleet-status bookkeeping
 * (open record, NACK recall) and the first full snapshot. Streams wait, they are not
 * refused: a refused runtime would back off and come back later anyway, and waiting keeps
 * the order. A stream that ends while it waits gives its place up and takes no token.
 */
export class AdmissionGate {
  readonly #bucket: TokenBucket;
  readonly #queue: Waiter[] = [];
  readonly #retryMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #admitted = 0;

  constructor(rate: AdmissionRate, now?: () => number) {
    if (!(rate.perSecond > 0) || !(rate.burst >= 1)) throw new RangeError('admission rate needs perSecond > 0 and burst >= 1');
    this.#bucket = new TokenBucket(rate.perSecond, rate.burst, now);
    this.#retryMs = Math.max(1, Math.ceil(1000 / rate.perSecond));
  }

  /** Resolves true once admitted; false when the stream was cancelled meanwhile or the gate closed. */
  admit(cancelled: () => boolean = () => false): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#queue.push({ resolve, cancelled });
      this.#drain();
    });
  }

  /** Streams waiting for admission now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Streams admitted so far. */
  get admitted(): number {
    return this.#admitted;
  }

  /** Answers every waiter false (shutdown). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#queue.splice(0)) w.resolve(false);
  }

  #drain(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (head.cancelled()) {
        this.#queue.shift();
        head.resolve(false);
        continue;
      }
      if (!this.#bucket.take()) break;
      this.#queue.shift();
      this.#admitted++;
      head.resolve(true);
    }
    if (this.#queue.length > 0 && !this.#timer && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#drain();
      }, this.#retryMs);
      this.#timer.unref();
    }
  }
}
