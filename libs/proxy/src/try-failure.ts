import type { TryFailure } from '@gw/balancing';
import { CONNECT_TIMEOUT_CODE } from './upstream-failure.js';

/** Errors that mean the connection was never established: nothing reached the target. */
const CONNECT_FAILURES: ReadonlySet<string> = new Set([
  CONNECT_TIMEOUT_CODE,
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * How one try failed before response headers, in `retries.on` terms: `connect-failure`
 * (never connected, so the request was not seen), `reset` (the connection broke after the
 * request may have been sent), or `invalid` for an unparseable response (never retried:
 * the target answered, just badly).
 */
export function tryFailureKind(err: unknown): TryFailure | 'invalid' {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'reset';
  if (CONNECT_FAILURES.has(code)) return 'connect-failure';
  if (code.startsWith('HPE_')) return 'invalid';
  return 'reset';
}
