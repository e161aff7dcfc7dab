import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BAD_HOST,
  BAD_HTTP_VERSION,
  BAD_TRANSFER_ENCODING,
  BODY_TOO_LARGE,
  DUPLICATE_HOST,
  LENGTH_AND_ENCODING,
  NOT_ORIGIN_FORM,
  URI_TOO_LONG,
} from './edge-errors.js';
import { refuseAtEdge } from './edge-refusal.js';
import type { ProxyError } from '../error-response.js';
import { isValidHostHeader } from './host-header.js';
import { normalizePath } from './path-normalization.js';
import { limitChunkedBody } from './request-body-limit.js';
import { watchRequestBody } from './client-timeouts.js';
import { bodyPending, noteChunkedBody } from './early-answer.js';

/** Runtime-wide limits of the edge (environment variables of the runtime, see README). */
export interface EdgeSettings {
  /** `TRUSTED_PROXY_HOPS`: proxies in front of the runtime whose `X-Forwarded-*` values count. */
  readonly trustedProxyHops: number;
  /** `MAX_URL_BYTES`: the longest request target (path and query) accepted; longer → 414. */
  readonly maxUrlBytes: number;
  /** `MAX_BODY_BYTES`: the largest request body accepted; larger → 413. */
  readonly maxBodyBytes: number;
  /** `CLIENT_BODY_TIMEOUT_MS`: a request body silent this long is cut (408, or a closed connection). 0 = off. */
  readonly clientBodyTimeoutMs: number;
  /** `CLIENT_SEND_TIMEOUT_MS`: a response the client takes nothing of this long is abandoned (connection closed). 0 = off. */
  readonly clientSendTimeoutMs: number;
  /**
   * `ALLOW_UNDERSCORES_IN_HEADERS`: keep request headers whose name contains `_`. Off by
   * default (nginx's `underscores_in_headers off`): CGI, WSGI and PHP upstreams map `-` and
   * `_` to the same variable, so `Transfer_Encoding` or `Content_Length` would read as the
   * framing headers there while the gateway framed the request differently.
   */
  readonly allowUnderscoresInHeaders: boolean;
}

export const DEFAULT_EDGE_SETTINGS: EdgeSettings = Object.freeze({
  trustedProxyHops: 0,
  maxUrlBytes: 8 * 1024,
  maxBodyBytes: 10 * 1024 * 1024,
  // nginx's client_body_timeout and send_timeout.
  clientBodyTimeoutMs: 60_000,
  clientSendTimeoutMs: 60_000,
  allowUnderscoresInHeaders: false,
});

const SLASH = 47; // '/'
const HOST_LENGTH = 4;
const UNDERSCORE = '_';

/**
 * The checks every request passes before routing, in one place, so the HTTP handler and
 * the WebSocket upgrade handler refuse exactly the same things. Node's parser already
 * refuses malformed framing (duplicate or invalid Content-Length, TE with CL, bad chunk
 * sizes, bare LF, obs-fold, control bytes); these are what it lets through:
 * - anything but HTTP/1.0 and 1.1 (Node accepts `HTTP/0.9`-style lines and `HTTP/2.0`);
 * - a target that is not origin-form (`http://evil/x`, `*`), or longer than `maxUrlBytes`;
 * - two `Host` headers (Node keeps the first silently) or an invalid one;
 * - a `Transfer-Encoding` other than a lone `chunked` (Node accepts `identity, chunked`
 *   and `gzip, chunked`), any `Transfer-Encoding` on HTTP/1.0, or one next to
 *   `Content-Length`;
 * - a `Content-Length` above `maxBodyBytes`;
 * - header names with `_` are dropped (not refused) unless `allowUnderscoresInHeaders`:
 *   neither the policies nor the upstream see them, as behind nginx;
 * - path tricks (see `normalizePath`): the normalized path replaces `req.url`, so routing
 *   and the upstream see the same bytes.
 * Allocates nothing for an ordinary request.
 */
export class EdgeGuard {
  readonly settings: EdgeSettings;

  constructor(settings: Partial<EdgeSettings> = {}) {
    this.settings = Object.freeze({ ...DEFAULT_EDGE_SETTINGS, ...settings });
  }

  get trustedProxyHops(): number {
    return this.settings.trustedProxyHops;
  }

  /** The reason to refuse `req`, or `undefined`; normalizes `req.url` in place when needed. */
  check(req: IncomingMessage): ProxyError | undefined {
    if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return BAD_HTTP_VERSION;
    const url = req.url;
    // Origin-form only. An absolute-form target or `*` never reaches routing, and the
    // path is never parsed as a URL, so `//evil/x` stays a path.
    if (url === undefined || url.charCodeAt(0) !== SLASH) return NOT_ORIGIN_FORM;
    if (url.length > this.settings.maxUrlBytes) return URI_TOO_LONG;

    const raw = req.rawHeaders;
    const dropUnderscores = !this.settings.allowUnderscoresInHeaders;
    let hosts = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === HOST_LENGTH && (name === 'Host' || name.toLowerCase() === 'host')) hosts++;
      // `req.headers` is what policies read and what is forwarded (never `rawHeaders`).
      else if (dropUnderscores && name.includes(UNDERSCORE)) delete req.headers[name.toLowerCase()];
    }
    if (hosts > 1) return DUPLICATE_HOST;
    const host = req.headers.host;
    if (host !== undefined && !isValidHostHeader(host)) return BAD_HOST;

    const transferEncoding = req.headers['transfer-encoding'];
    if (transferEncoding !== undefined) {
      if (req.httpVersionMinor === 0) return BAD_TRANSFER_ENCODING;
      if (transferEncoding !== 'chunked' && transferEncoding.trim().toLowerCase() !== 'chunked') return BAD_TRANSFER_ENCODING;
      if (req.headers['content-length'] !== undefined) return LENGTH_AND_ENCODING;
    } else {
      const contentLength = req.headers['content-length'];
      if (contentLength !== undefined && Number(contentLength) > this.settings.maxBodyBytes) return BODY_TOO_LARGE;
    }

    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const normalized = normalizePath(path);
    if (typeof normalized !== 'string') return normalized;
    if (normalized !== path) req.url = queryAt === -1 ? normalized : normalized + url.slice(queryAt);
    return undefined;
  }

  /**
   * `check`, answering a refusal itself (JSON error, `Connection: close`); for an
   * accepted chunked request, also starts counting its body against `maxBodyBytes`.
   * Returns whether the request may go on to routing.
   */
  admit(req: IncomingMessage, res: ServerResponse, requestId: string): boolean {
    const refused = this.check(req);
    if (refused !== undefined) {
      refuseAtEdge(res, refused, requestId);
      return false;
    }
    if (req.headers['transfer-encoding'] !== undefined) {
      noteChunkedBody(req);
      limitChunkedBody(req, res, requestId, this.settings.maxBodyBytes);
    }
    return true;
  }

  /**
   * Watches a request body still arriving for the client body timeout: `ms` is the routed
   * API's (`upstream.timeouts.clientBodyMs`) or the runtime's `clientBodyTimeoutMs`. Called
   * once the request is routed; an unrouted one is answered at once, which ends its body.
   */
  watchBody(req: IncomingMessage, res: ServerResponse, requestId: string, ms: number): void {
    if (bodyPending(req)) watchRequestBody(req, res, requestId, ms);
  }
}
