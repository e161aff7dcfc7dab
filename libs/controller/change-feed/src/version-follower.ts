import { type Logger, silentLogger } from '@gw/logging';

export interface VersionFollowerOptions {
  /** Reads the current config version: the truth that every wake-up checks. */
  readVersion: () => Promise<number>;
  /**
   * Called with each version newer than the last one handled, one call at a time. If it
   * throws or rejects, the version does not count as handled, so the next wake retries it.
   */
  onVersion: (version: number) => void | Promise<void>;
  logger?: Logger;
  /**
   * The least time between the starts of two reads (default 0). A wake-up after a quiet
   * spell reads at once (a lone deploy waits for nothing); wake-ups closer together than
   * this wait for the interval to pass and then share one read, so a burst of commits
   * costs one read, one compile and one fan-out per interval instead of one per commit.
   * The wait is measured from the previous read, never extended by later wake-ups: a
   * steady stream of them cannot starve the read.
   */
  coalesceMs?: number;
}

/**
 * Turns wake-ups (notifications, poll ticks, reconnects) into version reads, without
 * sockets or timers of its own. At most one read is in flight; wake-ups that arrive
 * meanwhile coalesce into exactly one more read afterwards, so a burst of N notifications
 * costs two reads, not N. Only versions strictly greater than the last handled one are
 * passed on: newest wins, never a regression, never a duplicate.
 */
export class VersionFollower {
  readonly #readVersion: () => Promise<number>;
  readonly #onVersion: (version: number) => void | Promise<void>;
  readonly #logger: Logger;
  #lastVersion = -1;
  #pending = false;
  #running: Promise<void> | undefined;
  #stopped = false;
  #failures = 0;
  readonly #coalesceMs: number;
  #lastReadAt = Number.NEGATIVE_INFINITY;

  constructor(options: VersionFollowerOptions) {
    this.#coalesceMs = options.coalesceMs ?? 0;
    this.#readVersion = options.readVersion;
    this.#onVersion = options.onVersion;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The last version handed to onVersion successfully; -1 before the first. */
  get lastVersion(): number {
    return this.#lastVersion;
  }

  /** Asks for a read: starts one now, or queues one (only one) after the read in flight. */
  wake(): void {
    if (this.#stopped) return;
    this.#pending = true;
    this.#running ??= this.#drain();
  }

  /** Settles once no read is in flight or queued. Never rejects. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  /** Ignores further wake-ups and waits for the read in flight; its result is dropped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = false;
    await this.idle();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending && !this.#stopped) {
        const waitMs = this.#lastReadAt + this.#coalesceMs - performance.now();
        if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
        if (this.#stopped) break;
        this.#pending = false;
        this.#lastReadAt = performance.now();
        await this.#readOnce();
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #readOnce(): Promise<void> {
    let version: number;
    try {
      version = await this.#readVersion();
      if (!Number.isSafeInteger(version) || version < 0) throw new TypeError(`not a config version: ${String(version)}`);
    } catch (err) {
      this.#failures++;
      // Loud on the first failure, quiet while it lasts: the poll timer retries every interval.
      if (this.#failures === 1) this.#logger.warn({ err }, 'config version read failed');
      else this.#logger.debug({ err, failures: this.#failures }, 'config version read failed again');
      return;
    }
    if (this.#failures > 0) {
      this.#logger.info({ failures: this.#failures }, 'config version read recovered');
      this.#failures = 0;
    }
    if (this.#stopped || version <= this.#lastVersion) return;
    try {
      await this.#onVersion(version);
      this.#lastVersion = version;
    } catch (err) {
      this.#logger.error({ err, version }, 'config version handler failed');
    }
  }
}
