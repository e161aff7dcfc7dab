import type { Route, RouteTarget } from './route.js';

/**
 * Smooth weighted round robin (as in nginx): every pick adds each item's weight to its
 * running score, takes the highest score and subtracts the total weight from it. Over
 * any window of `sum(weights)` picks each item is chosen exactly `weight` times, and
 * heavy items are interleaved with light ones instead of picked in bursts.
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

  pick(): T {
    const items = this.#items;
    if (items.length === 1) return items[0]!;
    const weights = this.#weights;
    const scores = this.#scores;
    let best = 0;
    for (let i = 0; i < scores.length; i++) {
      scores[i]! += weights[i]!;
      if (scores[i]! > scores[best]!) best = i;
    }
    scores[best]! -= this.#total;
    return items[best]!;
  }
}

/** The target for the next request on this route (smooth weighted round robin). */
export function pickTarget(route: Route): RouteTarget {
  return route.balancer.pick();
}
