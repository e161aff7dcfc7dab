import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { compareResources, contentHash, resourceKey, type ConfigResource } from './config-resource.js';
import { deriveSnapshot, editedSince, type ConfigSnapshot } from './config-snapshot.js';

/** A resource's identity: unique by type and name. */
export interface ResourceKey {
  readonly type: string;
  readonly name: string;
}

/** What a runtime reports it holds of a resource: its identity and content hash, no content. */
export interface HeldResource extends ResourceKey {
  readonly hash: string;
}

/**
 * The change from one whole state (`baseHash`) to another (`version`, `epoch`, `hash`),
 * as Envoy's incremental xDS sends it: the resources added or changed, and the keys of
 * those removed, both sorted by type and name.
 */
export interface ConfigDelta {
  readonly version: number;
  readonly epoch: number;
  /** The state hash of the whole state after the delta. */
  readonly hash: string;
  /** The state hash of the whole state the delta applies to. */
  readonly baseHash: string;
  readonly changed: readonly ConfigResource[];
  readonly removed: readonly ResourceKey[];
}

export { resourceKey };

/** The resource hashes a runtime holds, by key (what `diffResources` diffs against). */
export type HeldIndex = ReadonlyMap<string, string>;

export function heldIndex(resources: Iterable<HeldResource>): Map<string, string> {
  const index = new Map<string, string>();
  for (const r of resources) index.set(resourceKey(r), r.hash);
  return index;
}

/**
 * The delta from the state whose resources are `base` (by key → hash; its state hash is
 * `baseHash`) to `target`. Linear in the sizes of both; `changed` shares the target's
 * resource objects.
 */
export function diffResources(base: HeldIndex, baseHash: string, target: ConfigSnapshot): ConfigDelta {
  const changed: ConfigResource[] = [];
  const kept = new Set<string>();
  for (const r of target.resources) {
    const key = resourceKey(r);
    kept.add(key);
    if (base.get(key) !== r.hash) changed.push(r);
  }
  const removed: ResourceKey[] = [];
  for (const key of base.keys()) {
    if (kept.has(key)) continue;
    const cut = key.indexOf('\u0000');
    removed.push({ type: key.slice(0, cut), name: key.slice(cut + 1) });
  }
  removed.sort(compareResources);
  return Object.freeze({ version: target.version, epoch: target.epoch, hash: target.hash, baseHash, changed: Object.freeze(changed), removed: Object.freeze(removed) });
}

/** How far back `diffSnapshots` follows derivations: a runtime is normally a version or a few behind. */
const LINEAGE_STEPS = 64;

/**
 * The delta between two snapshots (the common case: a runtime at the state it ACKed,
 * moving to the current one). When `target` was derived here from `base` in a few steps,
 * only the keys those edits touched are looked up in both (binary search): a replica sends
 * up to 20 versions a second, and walking 10,000 resources twice for each was a visible
 * part of its cost (issue 13, "Fast writes"). Otherwise one merge walk over both sorted
 * lists, no maps. Both give the same delta.
 */
export function diffSnapshots(base: ConfigSnapshot, target: ConfigSnapshot): ConfigDelta {
  const edited = editedSince(base, target, LINEAGE_STEPS, Math.max(64, target.resources.length >>> 3));
  return edited === undefined ? diffWalk(base, target) : diffEdited(base, target, edited);
}

function diffEdited(base: ConfigSnapshot, target: ConfigSnapshot, edited: readonly ResourceKey[]): ConfigDelta {
  const keys = [...edited].sort(compareResources);
  const changed: ConfigResource[] = [];
  const removed: ResourceKey[] = [];
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (k > 0 && compareResources(keys[k - 1]!, key) === 0) continue;
    const now = find(target.resources, key);
    const was = find(base.resources, key);
    if (now !== undefined) {
      if (was === undefined || was.hash !== now.hash) changed.push(now);
    } else if (was !== undefined) {
      removed.push({ type: was.type, name: was.name });
    }
  }
  return Object.freeze({ version: target.version, epoch: target.epoch, hash: target.hash, baseHash: base.hash, changed: Object.freeze(changed), removed: Object.freeze(removed) });
}

/** The resource of this key in a sorted list, by binary search. */
function find(sorted: readonly ConfigResource[], key: ResourceKey): ConfigResource | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareResources(sorted[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && compareResources(sorted[lo]!, key) === 0 ? sorted[lo] : undefined;
}

/** The delta by one merge walk over both sorted resource lists. */
export function diffWalk(base: ConfigSnapshot, target: ConfigSnapshot): ConfigDelta {
  const changed: ConfigResource[] = [];
  const removed: ResourceKey[] = [];
  const from = base.resources;
  const to = target.resources;
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const order = i >= from.length ? 1 : j >= to.length ? -1 : compareResources(from[i]!, to[j]!);
    if (order < 0) {
      const r = from[i++]!;
      removed.push({ type: r.type, name: r.name });
    } else if (order > 0) {
      changed.push(to[j++]!);
    } else {
      const r = to[j++]!;
      if (from[i++]!.hash !== r.hash) changed.push(r);
    }
  }
  return Object.freeze({ version: target.version, epoch: target.epoch, hash: target.hash, baseHash: base.hash, changed: Object.freeze(changed), removed: Object.freeze(removed) });
}

export type DeltaResult = { ok: true; snapshot: ConfigSnapshot } | { ok: false; code: ErrorCode; message: string };

/**
 * The whole state a delta leads to from `base` (the state the receiver holds), verified
 * before anyone looks inside a resource: the changed resources are sorted, each once, and
 * each hashes to its announced hash; the resulting state hashes to the announced `hash`
 * (anything else, including a delta against a base the receiver does not hold, is
 * GW_SNAPSHOT_HASH_MISMATCH or GW_SNAPSHOT_INVALID: never half a state). Unchanged
 * resources are the base's own objects, so only the changed content is hashed.
 */
export function applyDelta(base: ConfigSnapshot, delta: Omit<ConfigDelta, 'baseHash'>): DeltaResult {
  const changed = delta.changed;
  for (let i = 0; i < changed.length; i++) {
    const r = changed[i]!;
    if (i > 0 && compareResources(changed[i - 1]!, r) >= 0) {
      return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `delta resources must be sorted by type and name, each once: ${r.type} "${r.name}" is out of place` };
    }
    const actual = contentHash(r.content);
    if (actual !== r.hash) return { ok: false, code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH, message: `${r.type} "${r.name}" hashes to ${actual}, not the announced ${r.hash}` };
  }
  // The merge, and the state hash over the base's kept hash lines plus the changed ones.
  const snapshot = deriveSnapshot(base, delta.version, delta.epoch, changed, new Set(delta.removed.map(resourceKey)));
  const actual = snapshot.hash;
  if (actual !== delta.hash) {
    return {
      ok: false,
      code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH,
      message: `the delta applied to the held state (${base.hash}) hashes to ${actual}, not the announced ${delta.hash}: the two ends disagree on the base`,
    };
  }
  return { ok: true, snapshot };
}
