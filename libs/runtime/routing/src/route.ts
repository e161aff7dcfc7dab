import type { SnapshotRoute, SnapshotUpstream } from '@gw/config-contract';

/** One upstream target, parsed once when the table is built. */
export interface RouteTarget {
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

/** One API as the data plane sees it. Frozen; balancing state lives in @gw/balancing. */
export interface Route {
  readonly name: string;
  /** Lower-case host patterns (exact or `*.suffix`); empty = any host. */
  readonly hosts: readonly string[];
  readonly basePath: string;
  readonly stripBasePath: boolean;
  readonly targets: readonly RouteTarget[];
  /** `upstream.timeouts.connectMs`, kept flat for the hot path. */
  readonly connectTimeoutMs: number;
  /** `upstream.timeouts.requestMs`, kept flat for the hot path. */
  readonly requestTimeoutMs: number;
  /** The API's whole upstream configuration (deep-frozen): balancing, timeouts, retries, health, outlier, breaker. */
  readonly upstream: Readonly<SnapshotUpstream>;
  /** The API's routes under its base path; empty = the whole base path, every method. */
  readonly apiRoutes: readonly Readonly<SnapshotRoute>[];
}

/** The request goes to this API. */
export interface RouteMatch {
  readonly kind: 'route';
  readonly route: Route;
  /**
   * The request path as the upstream should see it before the target's path prefix:
   * the base path stripped when the API says so (`/orders/42` → `/42`, `/orders` → `/`).
   */
  readonly forwardPath: string;
  /** The name of the API's route that matched; `null` when the API has no routes. */
  readonly routeName: string | null;
}

/**
 * The most specific API's routes serve this path, but not with this method: answer 405
 * with `Allow`. Less specific APIs are not tried: the path belongs to this API.
 */
export interface MethodNotAllowed {
  readonly kind: 'method-not-allowed';
  readonly route: Route;
  /** The methods the path accepts, sorted and comma-separated: the `Allow` header's value. */
  readonly allow: string;
}

export type RouteLookup = RouteMatch | MethodNotAllowed;
