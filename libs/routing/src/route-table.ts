import type { SnapshotApi, SnapshotContent } from '@gw/snapshot';
import { normalizeHost } from './host-name.js';
import type { Route, RouteMatch } from './route.js';
import { parseRouteTarget } from './route-target.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

/** The frozen routing table of one applied snapshot. */
export interface RouteTable {
  /** How many APIs (routes) the table holds. */
  readonly size: number;
  /** Every route, in snapshot order (sorted by API name). */
  readonly routes: readonly Route[];
  /**
   * The route for a request, or `undefined`.
   * @param host the Host header value as received (any case, with or without `:port`)
   * @param path the request path without its query string
   */
  match(host: string | undefined, path: string): RouteMatch | undefined;
}

type RoutesByBasePath = Map<string, Route>;

const SLASH = '/';

/**
 * Builds the table for one snapshot, once, off the request path. Everything a request
 * needs is computed here; `match` is a handful of map lookups.
 *
 * Lookup: one map per exact host and one for any-host APIs, each keyed by base path.
 * A request path is tried from its longest segment-boundary prefix down to `/`
 * (`/a/b/c`, `/a/b`, `/a`, `/`), so a match costs O(path segments), whatever the
 * number of APIs; at each length an exact-host API wins over an any-host one.
 */
export function buildRouteTable(content: SnapshotContent): RouteTable {
  return new FrozenRouteTable(content.apis.map(buildRoute));
}

function buildRoute(api: SnapshotApi): Route {
  const targets = Object.freeze(api.upstream.targets.map((t) => parseRouteTarget(t.url, t.weight)));
  return Object.freeze({
    name: api.name,
    hosts: Object.freeze([...api.hosts]),
    basePath: api.basePath,
    stripBasePath: api.stripBasePath,
    targets,
    connectTimeoutMs: api.upstream.connectTimeoutMs,
    requestTimeoutMs: api.upstream.requestTimeoutMs,
    balancer: new WeightedRoundRobin(targets, targets.map((t) => t.weight)),
  });
}

class FrozenRouteTable implements RouteTable {
  readonly size: number;
  readonly routes: readonly Route[];
  readonly #byHost = new Map<string, RoutesByBasePath>();
  readonly #anyHost: RoutesByBasePath = new Map();
  /** `#hasLength[n] === 1` when some base path is n characters long: skips prefixes no API can match. */
  readonly #hasLength: Uint8Array;

  constructor(routes: Route[]) {
    let longest = 1;
    for (const route of routes) {
      if (!route.basePath.startsWith(SLASH)) throw new Error(`API ${route.name}: base path "${route.basePath}" does not start with "/"`);
      if (route.hosts.length === 0) claim(this.#anyHost, '*', route);
      for (const host of route.hosts) {
        let byPath = this.#byHost.get(host);
        if (byPath === undefined) this.#byHost.set(host, (byPath = new Map()));
        claim(byPath, host, route);
      }
      if (route.basePath.length > longest) longest = route.basePath.length;
    }
    this.#hasLength = new Uint8Array(longest + 1);
    for (const route of routes) this.#hasLength[route.basePath.length] = 1;
    this.size = routes.length;
    this.routes = Object.freeze(routes);
    Object.freeze(this);
  }

  match(host: string | undefined, path: string): RouteMatch | undefined {
    const exact = this.#byHost.size === 0 ? undefined : this.#byHost.get(normalizeHost(host) ?? '');
    const any = this.#anyHost;
    const hasLength = this.#hasLength;
    // Candidates: the whole path, then the prefix before each '/', right to left.
    // A prefix ending just before a '/' (or the whole path) lies on a segment boundary,
    // so `/orders` matches `/orders`, `/orders/` and `/orders/42` but never `/ordersx`.
    let end = path.length;
    while (end > 0) {
      if (end < hasLength.length && hasLength[end] === 1) {
        const candidate = end === path.length ? path : path.slice(0, end);
        const route = exact?.get(candidate) ?? any.get(candidate);
        if (route !== undefined) return { route, forwardPath: forwardPath(route, path) };
      }
      end = path.lastIndexOf(SLASH, end - 1);
    }
    const root = exact?.get(SLASH) ?? any.get(SLASH);
    return root === undefined ? undefined : { route: root, forwardPath: path };
  }
}

/** The validated snapshot never claims a host and base path twice; a table must not either. */
function claim(byPath: RoutesByBasePath, host: string, route: Route): void {
  const holder = byPath.get(route.basePath);
  if (holder !== undefined) throw new Error(`APIs ${holder.name} and ${route.name} both claim ${host}${route.basePath}`);
  byPath.set(route.basePath, route);
}

function forwardPath(route: Route, path: string): string {
  if (!route.stripBasePath || route.basePath === SLASH) return path;
  return path.length === route.basePath.length ? SLASH : path.slice(route.basePath.length);
}
