import type { Random } from './clock.js';

/**
 * Full-jitter exponential backoff (as in Envoy and the AWS architecture blog): before
 * retry `n` (1-based), wait a uniformly random time in [0, min(maxMs, baseMs × 2^(n-1))).
 * Random spreading, rather than a fixed delay, keeps the retries of many clients that
 * failed together from arriving together.
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: Random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
