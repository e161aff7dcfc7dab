import { schemaFingerprint } from './schema-fingerprint.js';
import type { AppliedState } from '@gw/config-client';
import { loadDecodedDefinitions, writeDecodedDefinitions, type ConfigCache } from '@gw/last-known-good';
import type { Logger } from '@gw/logging';
import type { ConfigSnapshot } from '@gw/config-contract';
import { decodeDefinitions, encodeDefinitions, type AppliedConfig, type RuntimeConfig, type RuntimeState } from '@gw/runtime-config';
import { withYoungGenerationHeld } from './young-generation.js';

/**
 * Boot (promise 4, static stability): serve the last-known-good snapshot from disk before
 * any controller answers. A missing, corrupt or refused file leaves the runtime without a
 * config: not ready, 503, never an empty table. Returns the snapshot it serves, if any.
 */
export async function bootFromCache(cache: ConfigCache, state: RuntimeState, logger: Logger, decoded?: DecodedDefinitions): Promise<ConfigSnapshot | undefined> {
  // Parsing and building 10,000 APIs must not leave V8's young generation at its maximum for good.
  const { loaded, known, verdict } = await withYoungGenerationHeld(async () => {
    const [loaded, known] = await Promise.all([cache.load(), decoded?.load()]);
    if (loaded.status !== 'ok') return { loaded, known, verdict: undefined };
    // The loader checked every resource against its hash and the state hash (cache-file.ts, cache-log.ts): not hashed twice.
    // What this build decoded before from the same content is not decoded again (DecodedDefinitions).
    return { loaded, known, verdict: state.apply(loaded.snapshot, 'cache', { controllerId: loaded.controllerId, savedAt: loaded.savedAt, contentVerified: true, decoded: known }) };
  });
  if (loaded.status !== 'ok' || verdict === undefined) return undefined;
  if (!verdict.ok) {
    cache.refused(`${verdict.code}: ${verdict.message}`);
    return undefined;
  }
  decoded?.afterBoot(state.getConfig(), known);
  logger.info(
    { version: loaded.snapshot.version, hash: loaded.snapshot.hash, savedAt: loaded.savedAt.toISOString(), controllerId: loaded.controllerId },
    'serving the cached config until a controller answers',
  );
  return loaded.snapshot;
}

/**
 * After a controller's snapshot was applied: write it as the new last-known-good, before
 * the ACK. Only when the state now runs exactly this snapshot (a lagging replica's older
 * version of the same content leaves the state as it was); the cache itself skips the
 * write when the file already holds it, and otherwise appends only what changed. What is
 * written is the config's own verified snapshot (same version, epoch and hash): its
 * unchanged resources are the very objects the previous write saw, so finding the change
 * costs a comparison per resource, and no unverified content reaches the disk. A failed
 * write is reported by the cache and never turns the ACK into a NACK: the config itself
 * is fine.
 */
export async function saveAppliedSnapshot(cache: ConfigCache, state: RuntimeState, snapshot: ConfigSnapshot, controllerId: string): Promise<void> {
  const applied = state.applied;
  if (!applied || applied.version !== snapshot.version || applied.epoch !== snapshot.epoch || applied.hash !== snapshot.hash) return;
  const running = state.getConfig()?.snapshot;
  if (running === undefined || running.hash !== snapshot.hash || running.epoch !== snapshot.epoch) return;
  // The same content under a newer version keeps the config object (no rebuild): the disk gets what runs, at the new version.
  await cache.save(running.version === snapshot.version ? running : { ...running, version: snapshot.version }, { controllerId });
}

/**
 * The cache directory's decoded definitions (`@gw/last-known-good` decoded-definitions.ts):
 * what this build's API schema decoded from each resource's content, by content hash, so
 * a boot from the cache does not validate 10,000 definitions again (most of its time).
 * Loaded only when written by a build with the same `schemaFingerprint()` and intact;
 * otherwise, and for every resource it does not cover, the boot decodes in full. Written
 * in the background, never before the runtime is ready nor before an ACK: after a boot
 * that decoded anything in full, and whenever the cache writes a new base file.
 */
export class DecodedDefinitions {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #delayMs: number;
  #pending: RuntimeConfig | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #stopped = false;
  #writes = 0;

  /** `delayMs`: how long after being asked a write starts (default 1 s): the boot's own work goes first. */
  constructor(dir: string, logger: Logger, delayMs = 1_000) {
    this.#dir = dir;
    this.#logger = logger;
    this.#delayMs = delayMs;
  }

  /** Writes completed (for tests). */
  get writes(): number {
    return this.#writes;
  }

  async load(): Promise<ReadonlyMap<string, unknown> | undefined> {
    const loaded = await loadDecodedDefinitions(this.#dir, schemaFingerprint());
    if (!loaded.ok) {
      this.#logger.info({ reason: loaded.reason }, 'config cache: no decoded definitions to reuse; every definition is decoded in full');
      return undefined;
    }
    // Each block the definitions have in common is read once and shared as it is (runtime-config's encodeDefinitions).
    let definitions: ReadonlyMap<string, unknown>;
    try {
      definitions = decodeDefinitions(loaded.blocks, loaded.definitions);
    } catch (err) {
      this.#logger.info({ reason: err instanceof Error ? err.message : String(err) }, 'config cache: no decoded definitions to reuse; every definition is decoded in full');
      return undefined;
    }
    return definitions;
  }

  /** After the boot applied the cached config: written again unless what `load` gave (`loaded`) covered all of it. */
  afterBoot(config: RuntimeConfig | undefined, loaded: ReadonlyMap<string, unknown> | undefined): void {
    if (config === undefined) return;
    if (loaded !== undefined && loaded.size === config.apis.size && [...config.apis.values()].every((api) => loaded.has(api.hash))) return;
    this.refresh(config);
  }

  /** Writes `config`'s definitions soon, in the background (the latest asked for wins). */
  refresh(config: RuntimeConfig | undefined): void {
    if (config === undefined || this.#stopped) return;
    this.#pending = config;
    if (this.#timer !== undefined || this.#writing !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writing = this.#writeLatest().finally(() => {
        this.#writing = undefined;
        if (this.#pending !== undefined) this.refresh(this.#pending);
      });
    }, this.#delayMs);
    this.#timer.unref();
  }

  /** At shutdown: a write still waiting for its delay is made now (the next boot wants it), one under way is waited for. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    if (this.#pending !== undefined) await this.#writeLatest();
  }

  async #writeLatest(): Promise<void> {
    const config = this.#pending;
    this.#pending = undefined;
    if (config === undefined) return;
    try {
      // Each shared block once: the file is smaller and a boot reads each block once instead of sharing 10,000 definitions again.
      const encoded = encodeDefinitions([...config.apis.values()].map((api) => [api.hash, api.definition] as const));
      const written = await writeDecodedDefinitions(this.#dir, schemaFingerprint(), encoded.values, encoded.blocks);
      this.#writes++;
      this.#logger.info({ version: config.version, entries: written.entries, bytes: written.bytes }, 'config cache: decoded definitions written');
    } catch (err) {
      this.#logger.warn({ err }, 'config cache: could not write the decoded definitions; the next boot decodes every definition in full');
    }
  }
}

/**
 * What the runtime reports to controllers. While it serves from the cache it reports its
 * version with an empty hash: a controller at that version then re-sends the snapshot
 * (same content: no rebuild) and so confirms it, switching the source to `controller`;
 * a controller behind that version still sends nothing backwards.
 */
export function reportedState(applied: Readonly<AppliedConfig> | undefined): AppliedState | undefined {
  if (!applied) return undefined;
  return { version: applied.version, epoch: applied.epoch, hash: applied.source === 'cache' ? '' : applied.hash };
}
