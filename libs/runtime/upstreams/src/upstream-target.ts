
const DEFAULT_PORT = { 'http:': 80, 'https:': 443 } as const;

/** One upstream target, parsed once when its upstream is built. */
export interface UpstreamTarget {
  /** The target URL as configured. */
  readonly url: string;
  readonly weight: number;
  readonly protocol: 'http:' | 'https:';
  /** As in a URL: lower-case name or IP literal, IPv6 in brackets (`[::1]`). */
  readonly hostname: string;
  /** Explicit or the scheme's default. */
  readonly port: number;
  /** `protocol//hostname:port`: the key under which connections to this target are pooled. */
  readonly origin: string;
  /** The target URL's path without its trailing slash; `''` when it has none. */
  readonly pathPrefix: string;
  /** The target URL's query without the `?`; `''` when it has none. */
  readonly query: string;
}

/**
 * Parses a target URL once, when its upstream is built, into what forwarding needs. The
 * definition was validated before; a URL that is still not http(s) is a bug upstream of
 * here, so it throws rather than building an upstream that cannot forward.
 */
export function parseUpstreamTarget(url: string, weight: number): UpstreamTarget {
  const parsed = new URL(url);
  const protocol = parsed.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') throw new Error(`target ${url} is not an http or https URL`);
  if (parsed.hostname === '') throw new Error(`target ${url} has no host`);
  const port = parsed.port === '' ? DEFAULT_PORT[protocol] : Number(parsed.port);
  const path = parsed.pathname;
  return Object.freeze({
    url,
    weight,
    protocol,
    hostname: parsed.hostname,
    port,
    origin: `${protocol}//${parsed.hostname}:${port}`,
    // `http://h/api/` and `http://h/api` both mean "under /api": keep no trailing slash so
    // that joining with a forward path (always starting with `/`) never doubles it.
    pathPrefix: path.endsWith('/') ? path.slice(0, -1) : path,
    query: parsed.search.length > 1 ? parsed.search.slice(1) : '',
  });
}

/**
 * The request target the upstream receives: the target's path prefix, the forward path,
 * then the target's own query (if any) followed by the client's. `query` is the client's
 * query string with its `?`, or `''`. With prefix `/api`: `/42` → `/api/42`, `/` → `/api/`.
 */
export function upstreamPath(target: UpstreamTarget, forwardPath: string, query: string): string {
  const path = target.pathPrefix === '' ? forwardPath : target.pathPrefix + forwardPath;
  if (target.query === '') return query === '' ? path : path + query;
  return query.length > 1 ? `${path}?${target.query}&${query.slice(1)}` : `${path}?${target.query}`;
}
