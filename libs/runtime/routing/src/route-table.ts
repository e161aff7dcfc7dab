import type { SnapshotApi, SnapshotContent } from '@gw/config-contract';
import { ApiRoutes } from './api-routes.js';
import { normalizeHost } from './host-name.js';
import type { Route, RouteLookup } from './route.js';
import { parseRouteTarget } from './route-target.js';

/** The frozen routing table of one applied snapshot. */
export interface RouteTable {
  /** How many APIs the table holds. */
  readonly size: number;
  /** One entry per API, in snapshot order (sorted by API name). */
  readonly routes: readonly Route[];
  /**
   * Where a request goes: a `RouteMatch`, a `MethodNotAllowed` (answer 405 with `Allow`),
   * or `undefined` (no API serves this host and path: 404).
   * @param method the request method as received (upper-case)
   * @param host the Host header value as received (any case, with or without `:port`)
   * @param path the request path without its query string
   */
  match(method: string, host: string | undefined, path: string): RouteLookup | undefined;
}

/** One API in the table: its frozen `Route` and, when it has routes, their router. */
interface ApiEntry {
  readonly route: Route;
  readonly routes: ApiRoutes | undefined;
}

/** The APIs of one host tier (one exact host, one wildcard suffix, or any host), by base path. */
type ApisByBasePath = Map<string, ApiEntry>;

const SLASH = '/';
const WILDCARD_PREFIX = '*.';

/**
 * Builds the table for one snapshot, once, off the request path. Everything a request
 * needs is computed here; `match` is a handful of map lookups and, for an API with
 * routes, one router lookup.
 *
 * Precedence, most specific first:
 * 1. Host tier: the exact host, then wildcard patterns from the longest suffix down
 *    (`*.b.example.com` before `*.example.com`; a wildcard matches subdomains at any
 *    depth but not the bare suffix), then the any-host APIs.
 * 2. Within a tier, the longest base path on a segment boundary.
 * 3. Within an API with routes, the router's most specific route.
 * An API whose routes do not match the path at all lets the search go on (to a shorter
 * base path, then the next tier). An API whose routes match the path for other methods
 * only ends the search with 405.
 *
 * Cost: O(path segments × host tiers tried) map lookups, whatever the number of APIs;
 * the host tiers tried are at most the exact host, one per label of the Host for
 * wildcards (only when some API uses one), and any-host.
 */
export function buildRouteTable(content: SnapshotContent): RouteTable {
  return new FrozenRouteTable(content.apis.map(buildEntry));
}

function buildEntry(api: SnapshotApi): ApiEntry {
  const targets = Object.freeze(api.upstream.targets.map((t) => parseRouteTarget(t.url, t.weight)));
  const route: Route = Object.freeze({
    name: api.name,
    hosts: Object.freeze([...api.hosts]),
    basePath: api.basePath,
    stripBasePath: api.stripBasePath,
    targets,
    connectTimeoutMs: api.upstream.timeouts.connectMs,
    requestTimeoutMs: api.upstream.timeouts.requestMs,
    upstream: deepFreeze(structuredClone(api.upstream)),
    apiRoutes: deepFreeze(structuredClone(api.routes)),
  });
  return { route, routes: api.routes.length === 0 ? undefined : new ApiRoutes(api.routes) };
}

class FrozenRouteTable implements RouteTable {
  readonly size: number;
  readonly routes: readonly Route[];
  readonly #exact = new Map<string, ApisByBasePath>();
  /** Keyed by the suffix with its leading dot: `*.example.com` → `.example.com`. */
  readonly #wildcard = new Map<string, ApisByBasePath>();
  readonly #anyHost: ApisByBasePath = new Map();
  /** `#hasLength[n] === 1` when some base path is n characters long: skips prefixes no API can match. */
  readonly #hasLength: Uint8Array;

  constructor(entries: ApiEntry[]) {
    let longest = 1;
    for (const entry of entries) {
      const route = entry.route;
      if (!route.basePath.startsWith(SLASH)) throw new Error(`API ${route.name}: base path "${route.basePath}" does not start with "/"`);
      if (route.hosts.length === 0) claim(this.#anyHost, 'any host', entry);
      for (const host of route.hosts) {
        const wildcard = host.startsWith(WILDCARD_PREFIX);
        const tiers = wildcard ? this.#wildcard : this.#exact;
        const key = wildcard ? host.slice(1) : host;
        let byPath = tiers.get(key);
        if (byPath === undefined) tiers.set(key, (byPath = new Map()));
        claim(byPath, host, entry);
      }
      if (route.basePath.length > longest) longest = route.basePath.length;
    }
    this.#hasLength = new Uint8Array(longest + 1);
    for (const entry of entries) this.#hasLength[entry.route.basePath.length] = 1;
    this.size = entries.length;
    this.routes = Object.freeze(entries.map((e) => e.route));
    Object.freeze(this);
  }

  match(method: string, host: string | undefined, path: string): RouteLookup | undefined {
    const name = normalizeHost(host);
    if (name !== undefined) {
      if (this.#exact.size > 0) {
        const exact = this.#exact.get(name);
        const found = exact === undefined ? undefined : this.#matchIn(exact, method, path);
        if (found !== undefined) return found;
      }
      if (this.#wildcard.size > 0) {
        // `a.b.example.com` tries `.b.example.com`, then `.example.com`, then `.com`.
        for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
          const tier = this.#wildcard.get(name.slice(dot));
          const found = tier === undefined ? undefined : this.#matchIn(tier, method, path);
          if (found !== undefined) return found;
        }
      }
    }
    return this.#anyHost.size === 0 ? undefined : this.#matchIn(this.#anyHost, method, path);
  }

  /** The longest base path of this tier that serves the request, trying shorter ones while an API's routes do not match. */
  #matchIn(byPath: ApisByBasePath, method: string, path: string): RouteLookup | undefined {
    const hasLength = this.#hasLength;
    // Candidates: the whole path, then the prefix before each '/', right to left.
    // A prefix ending just before a '/' (or the whole path) lies on a segment boundary,
    // so `/orders` matches `/orders`, `/orders/` and `/orders/42` but never `/ordersx`.
    let end = path.length;
    while (end > 0) {
      if (end < hasLength.length && hasLength[end] === 1) {
        const entry = byPath.get(end === path.length ? path : path.slice(0, end));
        const found = entry === undefined ? undefined : resolve(entry, method, path);
        if (found !== undefined) return found;
      }
      end = path.lastIndexOf(SLASH, end - 1);
    }
    const root = byPath.get(SLASH);
    return root === undefined ? undefined : resolve(root, method, path);
  }
}

/** The API's verdict on the request: a match, a 405, or `undefined` when its routes do not cover the path. */
function resolve(entry: ApiEntry, method: string, path: string): RouteLookup | undefined {
  const route = entry.route;
  const below = pathBelowBase(route.basePath, path);
  const forwardPath = route.stripBasePath ? below : path;
  if (entry.routes === undefined) return { kind: 'route', route, forwardPath, routeName: null };
  const lookup = entry.routes.lookup(method, below);
  switch (lookup.kind) {
    case 'matched':
      return { kind: 'route', route, forwardPath, routeName: lookup.routeName };
    case 'method-not-allowed':
      return { kind: 'method-not-allowed', route, allow: lookup.allow };
    case 'no-route':
      return undefined;
  }
}

/** The path under the base path: `/orders/42` → `/42`, `/orders` → `/`; a root base path keeps the path. */
function pathBelowBase(basePath: string, path: string): string {
  if (basePath === SLASH) return path;
  return path.length === basePath.length ? SLASH : path.slice(basePath.length);
}

/** The validated snapshot never claims a host and base path twice; a table must not either. */
function claim(byPath: ApisByBasePath, host: string, entry: ApiEntry): void {
  const route = entry.route;
  const holder = byPath.get(route.basePath);
  if (holder !== undefined) throw new Error(`APIs ${holder.route.name} and ${route.name} both claim ${host} ${route.basePath}`);
  byPath.set(route.basePath, entry);
}

/** The route's own frozen copy: nothing the table hands out can change the applied config. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
