import type { ConfigSnapshot } from '@gw/config-contract';

export type SnapshotListener = (snapshot: ConfigSnapshot) => void;

/** Recent states kept by state hash: a fleet is at the current state or a few before it. */
export const RECENT_SNAPSHOTS = 8;

/**
 * Holds the newest compiled snapshot. Newest wins: a set with an older version (a slow
 * compile finishing after a newer one) is ignored. Listeners are called synchronously
 * with each newer snapshot; a slow stream only ever reads the latest value, never a
 * queue of intermediate ones.
 *
 * A higher epoch always wins even with a lower version: an epoch change is a deliberate
 * restore of the fleet to older content.
 */
export class SnapshotCache {
  #current: ConfigSnapshot | undefined;
  readonly #listeners = new Set<SnapshotListener>();
  readonly #recent = new Map<string, ConfigSnapshot>();

  get current(): ConfigSnapshot | undefined {
    return this.#current;
  }

  /** Returns true when the snapshot replaced the current one. */
  set(snapshot: ConfigSnapshot): boolean {
    const cur = this.#current;
    if (cur && !isNewer(snapshot, cur)) return false;
    this.#current = Object.freeze(snapshot);
    this.#recent.delete(snapshot.hash);
    this.#recent.set(snapshot.hash, snapshot);
    if (this.#recent.size > RECENT_SNAPSHOTS) this.#recent.delete(this.#recent.keys().next().value!);
    for (const listener of [...this.#listeners]) listener(snapshot);
    return true;
  }

  /**
   * One of the last RECENT_SNAPSHOTS states with this state hash (the newest version of it),
   * or undefined: the base a delta-mode runtime that reports this hash holds, known without
   * reading the resource list it sends (cheap resyncs after a failover).
   */
  byHash(hash: string): ConfigSnapshot | undefined {
    return this.#recent.get(hash);
  }

  /** Subscribes to newer snapshots; returns the unsubscribe function. */
  watch(listener: SnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get watcherCount(): number {
    return this.#listeners.size;
  }
}

export function isNewer(candidate: ConfigSnapshot, current: ConfigSnapshot): boolean {
  if (candidate.epoch !== current.epoch) return candidate.epoch > current.epoch;
  return candidate.version > current.version;
}
