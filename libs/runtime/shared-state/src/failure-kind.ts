import { DeadlineExceeded } from './deadline.js';

/**
 * How a failed Redis call counts:
 * - `timeout`: no answer in time (paused, overloaded or partitioned server);
 * - `unavailable`: no usable connection, or a server that cannot serve now
 *   (LOADING, READONLY after a failover, CLUSTERDOWN, TRYAGAIN, MASTERDOWN, BUSY script);
 * - `reply`: Redis answered with an error about this command (a bug, not an outage).
 * Only the first two count towards marking the connection unavailable.
 */
export type FailureKind = 'timeout' | 'unavailable' | 'reply';

const OUTAGE_REPLIES = /^(LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|BUSY|NOREPLICAS)\b/;

export function classifyRedisFailure(err: unknown): FailureKind {
  if (err instanceof DeadlineExceeded) return 'timeout';
  if (!(err instanceof Error)) return 'unavailable';
  if (err.message === 'Command timed out') return 'timeout';
  if (err.name === 'ReplyError') return OUTAGE_REPLIES.test(err.message) ? 'unavailable' : 'reply';
  // Connection closed, stream not writeable (no offline queue), max retries, aborted
  // on close, ECONNREFUSED/ETIMEDOUT, cluster "Failed to refresh slots cache", …
  return 'unavailable';
}
