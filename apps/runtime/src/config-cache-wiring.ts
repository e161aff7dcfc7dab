import type { AppliedState } from '@gw/config-client';
import type { ConfigCache } from '@gw/last-known-good';
import type { Logger } from '@gw/logging';
import type { ConfigSnapshot } from '@gw/config-contract';
import type { AppliedConfig, RuntimeState } from '@gw/runtime-config';
import { withYoungGenerationHeld } from './young-generation.js';

/**
 * Boot (promise 4, static stability): serve the last-known-good snapshot from disk before
 * any controller answers. A missing, corrupt or refused file leaves the runtime without a
 * config: not ready, 503, never an empty table. Returns the snapshot it serves, if any.
 */
export async function bootFromCache(cache: ConfigCache, state: RuntimeState, logger: Logger): Promise<ConfigSnapshot | undefined> {
  // Parsing and building 10,000 APIs must not leave V8's young generation at its maximum for good.
  const { loaded, verdict } = await withYoungGenerationHeld(async () => {
    const loaded = await cache.load();
    if (loaded.status !== 'ok') return { loaded, verdict: undefined };
    // The loader checked every resource against its hash and the state hash (cache-file.ts, cache-log.ts): not hashed twice.
    return { loaded, verdict: state.apply(loaded.snapshot, 'cache', { controllerId: loaded.controllerId, savedAt: loaded.savedAt, contentVerified: true }) };
  });
  if (loaded.status !== 'ok' || verdict === undefined) return undefined;
  if (!verdict.ok) {
    cache.refused(`${verdict.code}: ${verdict.message}`);
    return undefined;
  }
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
 * What the runtime reports to controllers. While it serves from the cache it reports its
 * version with an empty hash: a controller at that version then re-sends the snapshot
 * (same content: no rebuild) and so confirms it, switching the source to `controller`;
 * a controller behind that version still sends nothing backwards.
 */
export function reportedState(applied: Readonly<AppliedConfig> | undefined): AppliedState | undefined {
  if (!applied) return undefined;
  return { version: applied.version, epoch: applied.epoch, hash: applied.source === 'cache' ? '' : applied.hash };
}
