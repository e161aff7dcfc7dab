import { hashString } from './hash.js';

/** Ring points per target at equal weights: enough for an even spread (±10 % at 100 targets). */
const POINTS_PER_TARGET = 160;
/** The most points a ring holds, whatever the number of targets and weights. */
const MAX_RING_POINTS = 1 << 17;

/**
 * Consistent hashing on a ring with virtual nodes (Karger et al.; Envoy's ring hash).
 * Each target owns points placed by hashing its own key (`<key>#<n>`), so its points do
 * not move when other targets come or go: removing one of N targets remaps only the
 * keys it owned (about 1/N), adding one takes about 1/(N+1) from the others.
 *
 * A target's share of points follows its weight. A key hashes to a point; it goes to
 * the owner of the first point at or after it (wrapping around) that is eligible, so a
 * key whose target is unhealthy falls to the next one on the ring and comes back when
 * the target does.
 */
export class RingHash {
  /** Point hashes, ascending. */
  readonly #points: Uint32Array;
  /** The target index owning each point. */
  readonly #owners: Uint16Array;

  /**
   * @param keys a stable identity per target (its URL), index-aligned with `weights`
   */
  constructor(keys: readonly string[], weights: readonly number[]) {
    if (keys.length === 0) throw new Error('a hash ring needs at least one target');
    if (keys.length > 0xffff) throw new Error('a hash ring holds at most 65535 targets');
    let total = 0;
    for (const w of weights) total += w;
    const mean = total / keys.length;
    // Points per unit of mean weight, so equal-weight targets always get POINTS_PER_TARGET
    // each (independent of how many there are) until the ring would be too large.
    const scale = Math.min(POINTS_PER_TARGET, MAX_RING_POINTS / keys.length) / mean;
    const entries: { hash: number; owner: number; tie: string }[] = [];
    keys.forEach((key, owner) => {
      const count = Math.max(1, Math.round(weights[owner]! * scale));
      for (let n = 0; n < count; n++) entries.push({ hash: hashString(`${key}#${n}`), owner, tie: key });
    });
    // Ties broken by key, not by index, so the ring does not depend on target order.
    entries.sort((a, b) => a.hash - b.hash || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0));
    this.#points = Uint32Array.from(entries, (e) => e.hash);
    this.#owners = Uint16Array.from(entries, (e) => e.owner);
  }

  get points(): number {
    return this.#points.length;
  }

  /**
   * The target for `hash`: the owner of the first point at or after it whose
   * `eligible[owner]` is 1 (any owner when `eligible` is undefined), or -1 when none is.
   */
  lookup(hash: number, eligible: Uint8Array | undefined): number {
    const points = this.#points;
    const owners = this.#owners;
    // Lower bound: the first point >= hash.
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    const start = lo === points.length ? 0 : lo;
    if (eligible === undefined) return owners[start]!;
    for (let k = 0; k < points.length; k++) {
      const i = start + k < points.length ? start + k : start + k - points.length;
      const owner = owners[i]!;
      if (eligible[owner] === 1) return owner;
    }
    return -1;
  }
}
