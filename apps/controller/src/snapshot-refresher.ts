import { IncrementalCompiler, type CompileResult } from '@gw/compiler';
import type { Logger } from '@gw/logging';
import type { SnapshotCache } from '@gw/snapshot-cache';
import type { ConfigSnapshot } from '@gw/config-contract';
import type { DesiredStateDelta, DesiredStateSource, VersionMark } from '@gw/store';

/** Observers of the refresher, e.g. metrics; every one optional. */
export interface SnapshotRefresherHooks {
  /**
   * A snapshot was compiled (whether or not it replaced the cached one) in `durationMs`;
   * `full` when the whole state was compiled (start-up, epoch change), not a change.
   */
  compiled?(snapshot: ConfigSnapshot, durationMs: number, full: boolean): void;
  /** A refresh failed (typically the database is unreachable). */
  failed?(err: unknown): void;
}

/**
 * Recompiles the snapshot from the database when the change feed reports a new
 * version. Single-flight: requests that arrive during a compile coalesce into one more
 * compile afterwards, which reads the newest state (bursts cost two compiles, not N).
 *
 * Incremental: the compiler keeps every API compiled by name and revision; a refresh
 * reads the (name, stamp) pairs and only the rows that changed (createDesiredStateSource),
 * and recompiles only those. The first refresh and an epoch change (a restore) read and compile the whole
 * state; both paths give the same snapshot and hash for the same database state.
 */
export class SnapshotRefresher {
  #running: Promise<void> | undefined;
  #again = false;
  #lastError: string | undefined;
  readonly #compiler = new IncrementalCompiler();
  /** The stamp of every row the compiler holds (the store's change detection). */
  #stamps = new Map<string, string>();
  /** The version those stamps were read at, with its mark: the next read looks only at names written since. */
  #since: VersionMark | undefined;

  constructor(
    private readonly store: DesiredStateSource,
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
        const { result, durationMs, full } = await this.#compile();
        if (result === undefined) continue;
        const { snapshot, problems } = result;
        this.hooks.compiled?.(snapshot, durationMs, full);
        for (const p of problems) this.logger.warn({ api: p.api, version: snapshot.version, problem: p.message }, 'API left out of snapshot');
        if (this.cache.set(snapshot)) {
          this.logger.info({ version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, apis: snapshot.resources.length, compile: full ? 'full' : 'incremental', ms: Math.round(durationMs * 10) / 10 }, 'snapshot compiled');
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

  /** A change on top of what the compiler holds, or the whole state when it cannot apply; `undefined` when the cache is already there. */
  async #compile(): Promise<{ result: CompileResult | undefined; durationMs: number; full: boolean }> {
    const current = this.cache.current;
    const isCurrent = (state: { version: number; epoch: number }) => current !== undefined && current.epoch === state.epoch && current.version >= state.version;
    if (this.#compiler.current !== undefined) {
      const change = await this.store.readDesiredStateDelta(this.#stamps, this.#since);
      if (isCurrent(change)) return { result: undefined, durationMs: 0, full: false };
      const started = performance.now();
      const result = this.#compiler.apply(change);
      if (result !== undefined) {
        for (const name of change.removed) this.#stamps.delete(name);
        for (const api of change.changed) this.#stamps.set(api.definition.name, api.stamp);
        this.#since = markOf(change);
        return { result, durationMs: performance.now() - started, full: false };
      }
    }
    // Nothing held, or another epoch: read every row and compile the whole state.
    const state = await this.store.readDesiredStateDelta(new Map());
    if (isCurrent(state)) return { result: undefined, durationMs: 0, full: true };
    const started = performance.now();
    const result = this.#compiler.reset({ version: state.version, epoch: state.epoch, apis: state.changed });
    this.#stamps = new Map(state.changed.map((api) => [api.definition.name, api.stamp]));
    this.#since = markOf(state);
    return { result, durationMs: performance.now() - started, full: true };
  }
}

/** Where the stamps now held were read, when the read could say who wrote that version. */
function markOf(read: DesiredStateDelta): VersionMark | undefined {
  return read.mark === null ? undefined : { epoch: read.epoch, version: read.version, mark: read.mark };
}
