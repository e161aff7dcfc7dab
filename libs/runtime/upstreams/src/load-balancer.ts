import type { Random } from './clock.js';
import { hashString } from './hash.js';
import { pickLeastRequest } from './least-request.js';
import type { LoadBalancingAlgorithm } from '@gw/api-schema';
import { RingHash } from './ring-hash.js';
import type { UpstreamHealth } from './upstream-health.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

export interface LoadBalancerOptions {
  readonly algorithm: LoadBalancingAlgorithm;
  /** Stable identities (URLs), index-aligned with `weights`. */
  readonly keys: readonly string[];
  readonly weights: readonly number[];
  readonly health: UpstreamHealth;
  /** Requests in flight per target, kept by the caller; least-request reads it. */
  readonly active: Int32Array;
  readonly random: Random;
}

/**
 * Picks a target index for one try: the algorithm runs over the health's candidates
 * (healthy, zone-preferred), minus the targets this request already tried. When that
 * leaves nothing, it spills to every healthy target not yet tried, and only then repeats
 * a tried one: a retry goes to a different target whenever one exists.
 *
 * `consistent-hash` without a key (the header, cookie or address is missing) falls back
 * to weighted round robin: no affinity, but still balanced.
 */
export class LoadBalancer {
  readonly #o: LoadBalancerOptions;
  readonly #rr: WeightedRoundRobin<number>;
  readonly #ring: RingHash | undefined;
  /** least-request's weights and scratch, and the mask of a retry's exclusions: made when first needed (few upstreams need them). */
  #weights: Float64Array | undefined;
  #scratch: Int32Array | undefined;
  #mask: Uint8Array | undefined;

  constructor(options: LoadBalancerOptions) {
    this.#o = options;
    const n = options.keys.length;
    this.#rr = new WeightedRoundRobin(
      Array.from({ length: n }, (_, i) => i),
      options.weights,
    );
    this.#ring = options.algorithm === 'consistent-hash' ? new RingHash(options.keys, options.weights) : undefined;
  }

  /**
   * @param hashKey the request's affinity key (consistent hashing only)
   * @param exclude indexes already tried by this request
   */
  pick(hashKey: string | undefined, exclude: readonly number[] | undefined): number {
    const health = this.#o.health;
    let mask = health.candidates();
    if (exclude !== undefined && exclude.length > 0) {
      mask = this.#without(mask, exclude) ?? this.#without(health.healthyMask(), exclude) ?? mask;
    }
    const i = this.#pickIn(mask, hashKey);
    // Unreachable with a non-empty mask; kept total for safety.
    return i === -1 ? 0 : i;
  }

  #pickIn(mask: Uint8Array, hashKey: string | undefined): number {
    switch (this.#o.algorithm) {
      case 'least-request':
        return pickLeastRequest(mask, this.#o.active, (this.#weights ??= Float64Array.from(this.#o.weights)), this.#o.random, (this.#scratch ??= new Int32Array(mask.length)));
      case 'consistent-hash':
        if (hashKey !== undefined) return this.#ring!.lookup(hashString(hashKey), mask);
        return this.#rr.pickIndex(mask);
      default:
        return this.#rr.pickIndex(mask);
    }
  }

  /** `mask` minus `exclude` in the scratch mask, or `undefined` when nothing is left. */
  #without(mask: Uint8Array, exclude: readonly number[]): Uint8Array | undefined {
    const out = (this.#mask ??= new Uint8Array(mask.length));
    out.set(mask);
    for (const i of exclude) out[i] = 0;
    for (let i = 0; i < out.length; i++) if (out[i] === 1) return out;
    return undefined;
  }
}
