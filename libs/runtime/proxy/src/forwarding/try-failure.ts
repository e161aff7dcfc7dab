import type { TryFailure } from '@gw/upstreams';
import { CONNECT_TIMEOUT_CODES, INVALID_RESPONSE_CODES, REFUSED_REQUEST_CODES } from './upstream-failure.js';

/** Errors that mean the connection was never established: nothing reached the target. */
const CONNECT_FAILURES: ReadonlySet<string> = new Set([
  ...CONNECT_TIMEOUT_CODES,
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
 * request may have been sent: undici's `UND_ERR_SOCKET`, `ECONNRESET`, …), or `invalid`
 * for an unparseable response or a request undici refused to send (never retried: the
 * target answered, just badly, or another target would refuse it too).
 */
export function tryFailureKind(err: unknown): TryFailure | 'invalid' {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'reset';
  if (CONNECT_FAILURES.has(code)) return 'connect-failure';
  if (code.startsWith('HPE_') || INVALID_RESPONSE_CODES.has(code) || REFUSED_REQUEST_CODES.has(code)) return 'invalid';
  return 'reset';
}

/**
 * The target refused the connection (a TCP reset to the SYN: the process is gone, the
 * port closed): nothing reached it and it did no work for the request, so a retry elsewhere
 * is its first delivery, not an extra load. Not connect timeouts (an overloaded target may
 * be what drops the SYNs) nor local failures (ports or descriptors exhausted).
 */
export function isRefusedConnect(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ECONNREFUSED';
}
