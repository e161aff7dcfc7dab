import type { WeightedRoundRobin } from './weighted-round-robin.js';

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

/** One API as the data plane sees it. Frozen, except the balancer's own state. */
export interface Route {
  readonly name: string;
  /** Lower-case host names; empty = any host. */
  readonly hosts: readonly string[];
  readonly basePath: string;
  readonly stripBasePath: boolean;
  readonly targets: readonly RouteTarget[];
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Per-route rotation state behind `pickTarget`. */
  readonly balancer: WeightedRoundRobin<RouteTarget>;
}

export interface RouteMatch {
  readonly route: Route;
  /**
   * The request path as the upstream should see it before the target's path prefix:
   * the base path stripped when the API says so (`/orders/42` → `/42`, `/orders` → `/`).
   */
  readonly forwardPath: string;
}
