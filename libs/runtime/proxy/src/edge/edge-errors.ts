import { ErrorCodes } from '@gw/errors';
import type { ProxyError } from '../error-response.js';

/**
 * The answers the edge gives to requests it refuses before routing. Frozen constants: a
 * refusal allocates nothing but its JSON body. Messages are safe to show clients and
 * name the rule, never echo the request.
 */
const bad = (message: string): ProxyError => Object.freeze({ status: 400, code: ErrorCodes.GW_BAD_REQUEST, message });

export const NOT_ORIGIN_FORM = bad('the request target must be a path starting with "/"');
export const BAD_HTTP_VERSION = bad('only HTTP/1.0 and HTTP/1.1 requests are accepted');
export const DUPLICATE_HOST = bad('the request has more than one Host header');
export const BAD_HOST = bad('the Host header is not a valid host[:port]');
export const BAD_TRANSFER_ENCODING = bad('Transfer-Encoding must be exactly "chunked" on an HTTP/1.1 request');
export const LENGTH_AND_ENCODING = bad('a request must not carry both Content-Length and Transfer-Encoding');
export const BAD_PERCENT_ENCODING = bad('the request path has broken percent-encoding');
export const ENCODED_SEPARATOR = bad('the request path must not contain an encoded "/" or "\\" (%2F, %5C) or an encoded NUL (%00)');
export const BACKSLASH = bad('the request path must not contain "\\"');
export const FRAGMENT = bad('the request target must not contain "#"');
export const ABOVE_ROOT = bad('the request path climbs above "/" with ".." segments');
export const DOT_SEGMENT_PARAMETERS = bad('the request path has a "." or ".." segment with ";" parameters');
export const NOT_WEBSOCKET = bad('only WebSocket upgrades (GET with Upgrade: websocket) are accepted');
export const MALFORMED_REQUEST = bad('the request is not valid HTTP/1.1');

export const URI_TOO_LONG: ProxyError = Object.freeze({ status: 414, code: ErrorCodes.GW_URI_TOO_LONG, message: 'the request target is longer than this gateway accepts' });
export const BODY_TOO_LARGE: ProxyError = Object.freeze({ status: 413, code: ErrorCodes.GW_BODY_TOO_LARGE, message: 'the request body is larger than this gateway accepts' });
export const HEADERS_TOO_LARGE: ProxyError = Object.freeze({
  status: 431,
  code: ErrorCodes.GW_HEADERS_TOO_LARGE,
  message: 'the request line and headers are larger than this gateway accepts',
});
export const REQUEST_TIMEOUT: ProxyError = Object.freeze({ status: 408, code: ErrorCodes.GW_REQUEST_TIMEOUT, message: 'the request did not arrive in time' });
export const REQUEST_BODY_TIMEOUT: ProxyError = Object.freeze({
  status: 408,
  code: ErrorCodes.GW_REQUEST_TIMEOUT,
  message: 'the request body made no progress in time',
});
/** BUFFER_MEMORY_BYTES is spent: the client may come back in a moment. */
export const BUFFER_MEMORY_FULL: ProxyError = Object.freeze({
  status: 503,
  code: ErrorCodes.GW_BUFFER_MEMORY_FULL,
  message: 'the gateway is short of buffer memory; retry shortly',
  headers: Object.freeze({ 'retry-after': '1' }),
});
export const CONNECT_REFUSED: ProxyError = Object.freeze({
  status: 405,
  code: ErrorCodes.GW_METHOD_NOT_ALLOWED,
  message: 'CONNECT is not supported: this gateway is not a forward proxy',
});
