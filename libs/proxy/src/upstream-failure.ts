import { ErrorCodes } from '@gw/errors';
import type { ProxyError } from './error-response.js';

/** The code http-proxy-3 gives a connection it destroyed after `connectTimeout`. */
export const CONNECT_TIMEOUT_CODE = 'ECONNECT_TIMEOUT';

export const UPSTREAM_TIMEOUT: ProxyError = Object.freeze({
  status: 504,
  code: ErrorCodes.GW_UPSTREAM_TIMEOUT,
  message: 'the upstream sent no response in time',
});

const CONNECT_TIMED_OUT: ProxyError = Object.freeze({
  status: 502,
  code: ErrorCodes.GW_UPSTREAM_UNREACHABLE,
  message: 'the upstream did not accept the connection in time',
});

const CONNECTION_FAILED: ProxyError = Object.freeze({
  status: 502,
  code: ErrorCodes.GW_UPSTREAM_UNREACHABLE,
  message: 'the upstream could not be reached',
});

export const INVALID_RESPONSE: ProxyError = Object.freeze({
  status: 502,
  code: ErrorCodes.GW_UPSTREAM_UNREACHABLE,
  message: 'the upstream sent an invalid response',
});

/**
 * Maps a failure of the upstream request (before any response header) to the client's
 * answer. Every one is a 502: a connect timeout means the target is unreachable, not
 * slow (the request never left), which keeps 504 for "accepted but did not answer" and
 * tells retry logic that the request was not seen by the target. The message never
 * names the target; the log does.
 */
export function classifyUpstreamFailure(err: unknown): ProxyError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === CONNECT_TIMEOUT_CODE) return CONNECT_TIMED_OUT;
  if (typeof code === 'string' && code.startsWith('HPE_')) return INVALID_RESPONSE;
  return CONNECTION_FAILED;
}
