/**
 * Smooth weighted round robin (as in nginx): every pick adds each candidate's weight to
 * its running score, takes the highest score and subtracts the candidates' total weight
 * from it. Over any window of `sum(weights)` picks each item is chosen exactly `weight`
 * times, and heavy items are interleaved with light ones instead of picked in bursts.
 * Items left out of a pick (unhealthy, already tried) keep their score, as nginx does
 * for peers that are down.
 */
export class WeightedRoundRobin<T> {
  readonly #items: readonly T[];
  readonly #weights: Float64Array;
  readonly #scores: Float64Array;
  readonly #total: number;

  constructor(items: readonly T[], weights: readonly number[]) {
    if (items.length === 0) throw new Error('weighted round robin needs at least one item');
    if (weights.length !== items.length) throw new Error('weighted round robin needs one weight per item');
    this.#items = items;
    this.#weights = Float64Array.from(weights);
    this.#scores = new Float64Array(items.length);
    let total = 0;
    for (const w of weights) {
      if (!(w > 0) || !Number.isFinite(w)) throw new Error(`weight ${w} is not a positive number`);
      total += w;
    }
    this.#total = total;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The next item among all of them. */
  pick(): T {
    return this.#items[this.pickIndex(undefined)]!;
  }

  /**
   * The index of the next item among those whose `eligible[i]` is 1 (all when
   * `eligible` is undefined), or -1 when none is.
   */
  pickIndex(eligible: Uint8Array | undefined): number {
    const scores = this.#scores;
    if (scores.length === 1) return eligible === undefined || eligible[0] === 1 ? 0 : -1;
    const weights = this.#weights;
    let best = -1;
    let total = this.#total;
    if (eligible === undefined) {
      for (let i = 0; i < scores.length; i++) {
        scores[i]! += weights[i]!;
        if (best === -1 || scores[i]! > scores[best]!) best = i;
      }
    } else {
      total = 0;
      for (let i = 0; i < scores.length; i++) {
        if (eligible[i] !== 1) continue;
        scores[i]! += weights[i]!;
        total += weights[i]!;
        if (best === -1 || scores[i]! > scores[best]!) best = i;
      }
      if (best === -1) return -1;
    }
    scores[best]! -= total;
    return best;
  }
}
