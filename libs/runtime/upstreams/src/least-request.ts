import type { Random } from './clock.js';

/**
 * Least request with the power of two choices: two distinct candidates drawn at random,
 * the one with fewer requests in flight per unit of weight wins (ties: the heavier, then
 * the first drawn). Nearly as good as scanning for the global minimum, without herding
 * every new request onto the one target that just went idle.
 *
 * @param eligible `eligible[i] === 1` for candidates
 * @param active requests in flight per target
 * @returns the chosen index, or -1 when there is no candidate
 */
export function pickLeastRequest(eligible: Uint8Array, active: Int32Array, weights: Float64Array, random: Random, scratch: Int32Array): number {
  let n = 0;
  for (let i = 0; i < eligible.length; i++) if (eligible[i] === 1) scratch[n++] = i;
  if (n === 0) return -1;
  if (n === 1) return scratch[0]!;
  const a = scratch[Math.floor(random() * n)]!;
  // The second draw skips the first, so the two are always distinct.
  let b = scratch[Math.floor(random() * (n - 1))]!;
  if (b === a) b = scratch[n - 1]!;
  const la = active[a]! / weights[a]!;
  const lb = active[b]! / weights[b]!;
  if (lb < la) return b;
  if (la < lb) return a;
  return weights[b]! > weights[a]! ? b : a;
}
