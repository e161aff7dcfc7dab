export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": a delay between half and all of
 * min(maxMs, initialMs * 2^attempt). The jitter keeps replicas that lost the database
 * together from reconnecting in lockstep; the floor keeps a lucky draw from hammering it.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
