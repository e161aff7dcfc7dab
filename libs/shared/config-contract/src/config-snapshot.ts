import { createHash } from 'node:crypto';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { compareResources, contentHash, resourceKey, type ConfigResource } from './config-resource.js';

/**
 * The whole config at one fleet version: every resource, sorted by type and name. The
 * state hash is derived from the resource hashes only (not from versions), so every
 * replica computes the same one for the same database state, and a runtime that fails
 * over to another replica, or gets a new version with the same content, has nothing to
 * re-apply.
 */
export interface ConfigSnapshot {
  /** The global config version this snapshot was compiled from. */
  readonly version: number;
  /** The fleet config epoch; changes only by a deliberate restore. */
  readonly epoch: number;
  /** Lower-case hex SHA-256 over the sorted `type name hash` lines of the resources. */
  readonly hash: string;
  readonly resources: readonly ConfigResource[];
}

/** The state hash of a set of resources (any order in, the sorted order counts). */
export function stateHash(resources: readonly Pick<ConfigResource, 'type' | 'name' | 'hash'>[]): string {
  if (!isSorted(resources)) return hashLines(encodeLines([...resources].sort(compareResources)));
  return recentHash(resources) ?? hashLines(encodeLines(resources));
}

/** A frozen snapshot of these resources, sorted, with its state hash. */
export function buildSnapshot(version: number, epoch: number, resources: readonly ConfigResource[]): ConfigSnapshot {
  const sorted = Object.freeze(isSorted(resources) ? [...resources] : [...resources].sort(compareResources));
  const lines = encodeLines(sorted);
  linesOf.set(sorted, lines);
  return remember(Object.freeze({ version, epoch, hash: hashLines(lines), resources: sorted }), sorted.every((r) => Object.isFrozen(r)));
}

/**
 * The snapshot `base` becomes with `changed` put in (added or replacing the resource of the
 * same type and name) and the keys in `removed` (`resourceKey`) taken out, unless put back
 * by `changed`. `changed` must be sorted by type and name, each once (callers check or
 * guarantee it). Same resources and the same hash as `buildSnapshot` of the merged list,
 * but the work follows the change: a binary search to each edit, the base's hash lines
 * reused but for the chunks an edit lands in, one SHA-256 pass (issue 13: with 10,000
 * APIs, re-sorting and re-encoding every resource's hash line for each one-API change was
 * most of a replica's and a runtime's cost per version). Unchanged resources are the
 * base's own objects.
 */
export function deriveSnapshot(base: ConfigSnapshot, version: number, epoch: number, changed: readonly ConfigResource[], removed: ReadonlySet<string>): ConfigSnapshot {
  const held = base.resources;
  const baseLines = linesOf.get(held) ?? encodeLines(held);
  // The edits in resource order: each changed resource, and each removed key it does not put back.
  const puts = new Set(changed.map(resourceKey));
  const drops: ResourceKeyOf[] = [];
  for (const key of removed) {
    if (puts.has(key)) continue;
    const cut = key.indexOf('\u0000');
    drops.push({ type: key.slice(0, cut), name: key.slice(cut + 1) });
  }
  drops.sort(compareResources);
  // The merged list, and per base chunk the net count of resources the edits before it added.
  const merged: ConfigResource[] = [];
  const chunks = baseLines.chunks;
  const shiftBefore = new Int32Array(chunks.length + 1);
  const dirty = new Uint8Array(chunks.length + 1);
  let chunk = 0;
  let chunkEnd = chunks[0]?.count ?? 0;
  let shift = 0;
  let i = 0;
  let p = 0;
  let d = 0;
  while (p < changed.length || d < drops.length) {
    const put = p < changed.length && (d >= drops.length || compareResources(changed[p]!, drops[d]!) < 0);
    const edit = put ? changed[p++]! : drops[d++]!;
    const at = lowerBound(held, edit, i);
    for (let k = i; k < at; k++) merged.push(held[k]!);
    const same = at < held.length && compareResources(held[at]!, edit) === 0;
    i = same ? at + 1 : at;
    if (put) merged.push(edit as ConfigResource);
    const delta = (put ? 1 : 0) - (same ? 1 : 0);
    if (delta === 0 && !put) continue; // a removal of something not held
    // The chunk this edit lands in: the one holding position `at`, the last one at the end.
    while (chunk < chunks.length - 1 && at >= chunkEnd) {
      shiftBefore[++chunk] = shift;
      chunkEnd += chunks[chunk]!.count;
    }
    dirty[chunk] = 1;
    shift += delta;
  }
  for (let k = i; k < held.length; k++) merged.push(held[k]!);
  while (chunk < chunks.length) shiftBefore[++chunk] = shift;
  // New chunks: the clean ones as they were, the dirty ones re-encoded from the merged list.
  const next: LineChunk[] = [];
  if (chunks.length === 0) {
    next.push(...encodeLines(merged).chunks);
  } else {
    let start = 0;
    for (let c = 0; c < chunks.length; c++) {
      const from = start + shiftBefore[c]!;
      start += chunks[c]!.count;
      const to = c === chunks.length - 1 ? merged.length : start + shiftBefore[c + 1]!;
      if (dirty[c] === 0) next.push(chunks[c]!);
      else next.push(...encodeLines(merged.slice(from, to)).chunks);
    }
  }
  const resources = Object.freeze(merged);
  const lines: HashLines = { chunks: next };
  linesOf.set(resources, lines);
  // Frozen throughout when the base was and every resource put in is: the others are the base's.
  const frozen = frozenThroughout.has(base) && changed.every((r) => Object.isFrozen(r));
  const derived = remember(Object.freeze({ version, epoch, hash: hashLines(lines), resources }), frozen);
  const edited: ResourceKeyOf[] = changed.map((r) => ({ type: r.type, name: r.name }));
  for (const k of drops) edited.push(k);
  lineage.set(derived, { base: new WeakRef(base), edited });
  return derived;
}

/**
 * How a derived snapshot came about: the snapshot it was derived from (weakly: a chain of
 * versions must not keep every old state alive) and the keys its edits touched. A sender
 * that knows a runtime holds an ancestor diffs only the keys touched since (`editedSince`)
 * instead of walking both whole states per version.
 */
const lineage = new WeakMap<ConfigSnapshot, { readonly base: WeakRef<ConfigSnapshot>; readonly edited: readonly ResourceKeyOf[] }>();

/**
 * The keys (type, name) edits touched on the way from `ancestor` to `target`, when
 * `target` was derived in this process from `ancestor` (that very object) in at most
 * `maxSteps` derivations touching at most `maxKeys` keys; otherwise undefined (diff the
 * whole states). Keys may repeat and be in any order; a key touched may end unchanged.
 */
export function editedSince(ancestor: ConfigSnapshot, target: ConfigSnapshot, maxSteps: number, maxKeys: number): readonly ResourceKeyOf[] | undefined {
  const keys: ResourceKeyOf[] = [];
  let at: ConfigSnapshot | undefined = target;
  for (let step = 0; step < maxSteps; step++) {
    if (at === ancestor) return keys;
    const link = lineage.get(at!);
    if (link === undefined) return undefined;
    for (const k of link.edited) keys.push(k);
    if (keys.length > maxKeys) return undefined;
    at = link.base.deref();
    if (at === undefined) return undefined;
  }
  return at === ancestor ? keys : undefined;
}

/**
 * The hashed lines' fields of the last few snapshots built here: the resources themselves
 * when every one is frozen (their fields cannot change since they were hashed), else the
 * fields copied as strings (immutable) when they were hashed.
 */
type HashedState =
  | { readonly resources: readonly ConfigResource[]; readonly hash: string }
  | { readonly types: readonly string[]; readonly names: readonly string[]; readonly hashes: readonly string[]; readonly hash: string };

const RECENT = 2;
/** Snapshots built or derived here whose every resource is frozen. */
const frozenThroughout = new WeakSet<ConfigSnapshot>();
const recent: HashedState[] = [];

/**
 * Keeps the fields a snapshot was hashed over, so `stateHash` of the same (type, name,
 * hash) sequence is answered without hashing again: a runtime verifies the state hash of
 * what it builds right after `applyDelta` derived and verified the same state (10,000
 * lines, about 4 ms, per version). The answer is the one hashing would give, whatever
 * objects carry the fields.
 */
function remember(snapshot: ConfigSnapshot, frozen: boolean): ConfigSnapshot {
  const rs = snapshot.resources;
  // Copying three arrays of 10,000 fields per version (or asking each resource whether it is
  // frozen) was most of a replica's cost of keeping this (issue 13, "Fast writes"): frozen
  // resources (toConfigResource's) need no copy, and a derived snapshot knows from its base.
  if (frozen) frozenThroughout.add(snapshot);
  recent.unshift(frozen ? { resources: rs, hash: snapshot.hash } : { types: rs.map((r) => r.type), names: rs.map((r) => r.name), hashes: rs.map((r) => r.hash), hash: snapshot.hash });
  recent.length = Math.min(recent.length, RECENT);
  return snapshot;
}

function recentHash(resources: readonly Pick<ConfigResource, 'type' | 'name' | 'hash'>[]): string | undefined {
  next: for (const state of recent) {
    if ('resources' in state) {
      const held = state.resources;
      if (held.length !== resources.length) continue;
      for (let k = 0; k < resources.length; k++) {
        const r = resources[k]!;
        const h = held[k]!;
        if (r !== h && (r.hash !== h.hash || r.name !== h.name || r.type !== h.type)) continue next;
      }
      return state.hash;
    }
    if (state.names.length !== resources.length) continue;
    for (let k = 0; k < resources.length; k++) {
      const r = resources[k]!;
      if (r.hash !== state.hashes[k] || r.name !== state.names[k] || r.type !== state.types[k]) continue next;
    }
    return state.hash;
  }
  return undefined;
}

type ResourceKeyOf = Pick<ConfigResource, 'type' | 'name'>;

/** The first index from `from` on whose resource is not below `key`. */
function lowerBound(items: readonly ResourceKeyOf[], key: ResourceKeyOf, from: number): number {
  let lo = from;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareResources(items[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The hash lines of `count` consecutive resources. */
interface LineChunk {
  readonly count: number;
  readonly bytes: Buffer;
}

/**
 * The bytes the state hash is taken over (one `type name hash` line per resource, in
 * order), in chunks of a few hundred resources, so a derived snapshot re-encodes only the
 * chunks its edits land in and shares the others (one contiguous copy of 10,000 lines per
 * version costs more than the hash itself).
 */
interface HashLines {
  readonly chunks: readonly LineChunk[];
}

const CHUNK = 256;

/** The hash lines of the (frozen) resource lists this process built, for `deriveSnapshot` to start from. */
const linesOf = new WeakMap<readonly ConfigResource[], HashLines>();

function encodeLines(sorted: readonly Pick<ConfigResource, 'type' | 'name' | 'hash'>[]): HashLines {
  const chunks: LineChunk[] = [];
  for (let from = 0; from < sorted.length; from += CHUNK) {
    // One string, one encode per chunk: 10,000 small buffers or hash updates cost several times more.
    let text = '';
    const to = Math.min(sorted.length, from + CHUNK);
    for (let k = from; k < to; k++) {
      const r = sorted[k]!;
      text += `${r.type} ${r.name} ${r.hash}\n`;
    }
    chunks.push({ count: to - from, bytes: Buffer.from(text) });
  }
  return { chunks };
}

function hashLines(lines: HashLines): string {
  const hash = createHash('sha256');
  for (const c of lines.chunks) hash.update(c.bytes);
  return hash.digest('hex');
}

function isSorted(resources: readonly Pick<ConfigResource, 'type' | 'name'>[]): boolean {
  for (let k = 1; k < resources.length; k++) if (compareResources(resources[k - 1]!, resources[k]!) >= 0) return false;
  return true;
}

export type SnapshotVerdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

/**
 * What a receiver checks before it looks inside any resource: every resource's content
 * hashes to its announced hash, names are unique and sorted, and the resources hash to
 * the announced state hash (corruption or tampering: GW_SNAPSHOT_HASH_MISMATCH).
 */
export function verifySnapshot(snapshot: ConfigSnapshot): SnapshotVerdict {
  const resources = snapshot.resources;
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    if (i > 0 && compareResources(resources[i - 1]!, r) >= 0) {
      return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `resources must be sorted by type and name, each once: ${r.type} "${r.name}" is out of place` };
    }
    const actual = contentHash(r.content);
    if (actual !== r.hash) return { ok: false, code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH, message: `${r.type} "${r.name}" hashes to ${actual}, not the announced ${r.hash}` };
  }
  const actual = stateHash(resources);
  if (actual !== snapshot.hash) return { ok: false, code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH, message: `the resources hash to ${actual}, not the announced ${snapshot.hash}` };
  return { ok: true };
}
