import { ErrorCodes } from '@gw/errors';
import type { ProxyError } from '../error-response.js';

/**
 * The codes of a connection not accepted within the connect timeout: undici's (HTTP
 * forwarding) and http-proxy-3's (WebSocket handshakes).
 */
export const CONNECT_TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ECONNECT_TIMEOUT']);

/** Codes of an upstream response that could not be read as HTTP (besides the parser's `HPE_*`). */
export const INVALID_RESPONSE_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);

/**
 * Codes of a request undici refused to send (its own validation of method, path and
 * headers, stricter in places than Node's parser): nothing reached the network.
 */
export const REFUSED_REQUEST_CODES: ReadonlySet<string> = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

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

const REQUEST_NOT_FORWARDABLE: ProxyError = Object.freeze({
  status: 502,
  code: ErrorCodes.GW_UPSTREAM_UNREACHABLE,
  message: 'the request could not be forwarded to the upstream',
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
  if (typeof code !== 'string') return CONNECTION_FAILED;
  if (CONNECT_TIMEOUT_CODES.has(code)) return CONNECT_TIMED_OUT;
  if (code.startsWith('HPE_') || INVALID_RESPONSE_CODES.has(code)) return INVALID_RESPONSE;
  if (REFUSED_REQUEST_CODES.has(code)) return REQUEST_NOT_FORWARDABLE;
  return CONNECTION_FAILED;
}
