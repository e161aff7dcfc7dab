import { ANY_HOST, ClaimRegistry, describeClaim, routeClaims } from '@gw/api-schema';
import type { ApiRoutes } from './api-routes.js';
import { normalizeHost } from './host-name.js';
import type { Routed, RouteLookup } from './route.js';

/** The frozen routing table of one applied config. */
export interface RouteTable<T extends Routed> {
  /** How many APIs the table holds. */
  readonly size: number;
  /** The routed APIs, in the order given. */
  readonly apis: readonly T[];
  /**
   * Where a request goes: a `RouteMatch`, a `MethodNotAllowed` (answer 405 with `Allow`),
   * or `undefined` (no API serves this host and path: 404).
   * @param method the request method as received (upper-case)
   * @param host the Host header value as received (any case, with or without `:port`)
   * @param path the request path without its query string
   */
  match(method: string, host: string | undefined, path: string): RouteLookup<T> | undefined;
}

/** One API in the table: the routed value and, when the API has routes, their router. */
interface ApiEntry<T extends Routed> {
  readonly api: T;
  readonly basePath: string;
  readonly stripBasePath: boolean;
  readonly routes: ApiRoutes | undefined;
}

/** The APIs of one host tier (one exact host, one wildcard suffix, or any host), by base path. */
type ApisByBasePath<T extends Routed> = Map<string, ApiEntry<T>>;

const SLASH = '/';
const WILDCARD_PREFIX = '*.';

/**
 * Builds the table for one config, once, off the request path. Everything a request
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
export function buildRouteTable<T extends Routed>(apis: readonly T[]): RouteTable<T> {
  return new FrozenRouteTable(apis);
}

class FrozenRouteTable<T extends Routed> implements RouteTable<T> {
  readonly size: number;
  readonly apis: readonly T[];
  readonly #exact = new Map<string, ApisByBasePath<T>>();
  /** Keyed by the suffix with its leading dot: `*.example.com` → `.example.com`. */
  readonly #wildcard = new Map<string, ApisByBasePath<T>>();
  readonly #anyHost: ApisByBasePath<T> = new Map();
  /** `#hasLength[n] === 1` when some base path is n characters long: skips prefixes no API can match. */
  readonly #hasLength: Uint8Array;

  constructor(apis: readonly T[]) {
    let longest = 1;
    // The route-claim rule of the API schema: the same one the store and the compiler apply.
    const claims = new ClaimRegistry();
    for (const api of apis) {
      const def = api.definition;
      if (!def.basePath.startsWith(SLASH)) throw new Error(`API ${def.name}: base path "${def.basePath}" does not start with "/"`);
      const entry: ApiEntry<T> = { api, basePath: def.basePath, stripBasePath: def.stripBasePath, routes: api.router };
      const owned = routeClaims(def);
      const taken = claims.take(def.name, owned);
      if (taken !== undefined) throw new Error(`APIs ${taken.owner} and ${def.name} both claim ${describeClaim(taken.claim)}`);
      for (const { host } of owned) {
        if (host === ANY_HOST) {
          this.#anyHost.set(def.basePath, entry);
          continue;
        }
        const wildcard = host.startsWith(WILDCARD_PREFIX);
        const tiers = wildcard ? this.#wildcard : this.#exact;
        const key = wildcard ? host.slice(1) : host;
        let byPath = tiers.get(key);
        if (byPath === undefined) tiers.set(key, (byPath = new Map()));
        byPath.set(def.basePath, entry);
      }
      if (def.basePath.length > longest) longest = def.basePath.length;
    }
    this.#hasLength = new Uint8Array(longest + 1);
    for (const api of apis) this.#hasLength[api.definition.basePath.length] = 1;
    this.size = apis.length;
    this.apis = Object.freeze([...apis]);
    Object.freeze(this);
  }

  match(method: string, host: string | undefined, path: string): RouteLookup<T> | undefined {
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
  #matchIn(byPath: ApisByBasePath<T>, method: string, path: string): RouteLookup<T> | undefined {
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
function resolve<T extends Routed>(entry: ApiEntry<T>, method: string, path: string): RouteLookup<T> | undefined {
  const api = entry.api;
  const below = pathBelowBase(entry.basePath, path);
  const forwardPath = entry.stripBasePath ? below : path;
  if (entry.routes === undefined) return { kind: 'route', api, forwardPath, routeName: null };
  const lookup = entry.routes.lookup(method, below);
  switch (lookup.kind) {
    case 'matched':
      return { kind: 'route', api, forwardPath, routeName: lookup.routeName };
    case 'method-not-allowed':
      return { kind: 'method-not-allowed', api, allow: lookup.allow };
    case 'no-route':
      return undefined;
  }
}

/** The path under the base path: `/orders/42` → `/42`, `/orders` → `/`; a root base path keeps the path. */
function pathBelowBase(basePath: string, path: string): string {
  if (basePath === SLASH) return path;
  return path.length === basePath.length ? SLASH : path.slice(basePath.length);
}
