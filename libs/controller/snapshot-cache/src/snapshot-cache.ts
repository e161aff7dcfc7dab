import type { ConfigSnapshot } from '@gw/config-contract';

export type SnapshotListener = (snapshot: ConfigSnapshot) => void;

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

  get current(): ConfigSnapshot | undefined {
    return this.#current;
  }

  /** Returns true when the snapshot replaced the current one. */
  set(snapshot: ConfigSnapshot): boolean {
    const cur = this.#current;
    if (cur && !isNewer(snapshot, cur)) return false;
    this.#current = Object.freeze(snapshot);
    for (const listener of [...this.#listeners]) listener(snapshot);
    return true;
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
