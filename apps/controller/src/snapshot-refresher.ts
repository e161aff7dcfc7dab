import { compileSnapshot } from '@gw/compiler';
import type { Logger } from '@gw/logging';
import type { SnapshotCache } from '@gw/snapshot-cache';
import type { ConfigSnapshot } from '@gw/config-contract';
import type { ApiStore } from '@gw/store';

/** Observers of the refresher, e.g. metrics; every one optional. */
export interface SnapshotRefresherHooks {
  /** A snapshot was compiled (whether or not it replaced the cached one) in `durationMs`. */
  compiled?(snapshot: ConfigSnapshot, durationMs: number): void;
  /** A refresh failed (typically the database is unreachable). */
  failed?(err: unknown): void;
}

/**
 * Recompiles the snapshot from the database when the change feed reports a new
 * version. Single-flight: requests that arrive during a compile coalesce into one more
 * compile afterwards, which reads the newest state (bursts cost two compiles, not N).
 */
export class SnapshotRefresher {
  #running: Promise<void> | undefined;
  #again = false;
  #lastError: string | undefined;

  constructor(
    private readonly store: ApiStore,
    private readonly cache: SnapshotCache,
    private readonly logger: Logger,
    private readonly hooks: SnapshotRefresherHooks = {},
  ) {}

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Asks for a compile; resolves when a compile that started after this call has finished. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        const state = await this.store.readDesiredState();
        const current = this.cache.current;
        if (current && current.epoch === state.epoch && current.version >= state.version) continue;
        const started = performance.now();
        const { snapshot, problems } = compileSnapshot(state);
        this.hooks.compiled?.(snapshot, performance.now() - started);
        for (const p of problems) this.logger.warn({ api: p.api, version: state.version, problem: p.message }, 'API left out of snapshot');
        if (this.cache.set(snapshot)) {
          this.logger.info({ version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, apis: snapshot.resources.length }, 'snapshot compiled');
        }
        this.#lastError = undefined;
      } catch (err) {
        // The database may be down: keep serving the last snapshot; the next poll retries.
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.hooks.failed?.(err);
        this.logger.warn({ err }, 'snapshot refresh failed');
      }
    } while (this.#again);
  }
}
