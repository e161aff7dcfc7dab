import { ANY_HOST, describeClaim, routeClaims } from '@gw/api-schema';
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
 *
 * Two APIs claiming the same host and base path (the API schema's route-claim rule)
 * throw: a table is never built with a route that two APIs serve.
 */
export function buildRouteTable<T extends Routed>(apis: readonly T[]): RouteTable<T> {
  return new TableWriter<T>(undefined).put(apis).finish();
}

/**
 * The table `table` with these changes, built without touching `table` (requests in
 * flight keep using it): `put` adds or replaces APIs by name, `removed` names APIs to
 * drop. Costs in proportion to the change, not to the table: only the host tiers and
 * base-path maps the changed APIs claim are copied (plus one copy of the name index and
 * the API list). Throws, like `buildRouteTable`, when a claim collides.
 */
export function updateRouteTable<T extends Routed>(table: RouteTable<T>, put: readonly T[], removed: Iterable<string>): RouteTable<T> {
  if (!(table instanceof FrozenRouteTable)) throw new TypeError('updateRouteTable: not a table built by buildRouteTable');
  return new TableWriter<T>(table as FrozenRouteTable<T>).remove(removed).put(put).finish();
}

/** What a frozen table is made of; a writer derives the next one, copying only what it changes. */
interface TableParts<T extends Routed> {
  readonly exact: Map<string, ApisByBasePath<T>>;
  /** Keyed by the suffix with its leading dot: `*.example.com` → `.example.com`. */
  readonly wildcard: Map<string, ApisByBasePath<T>>;
  readonly anyHost: ApisByBasePath<T>;
  readonly byName: Map<string, T>;
  /** `lengths[n]` = how many APIs have an n-character base path: `match` skips prefixes no API can match. */
  readonly lengths: Uint32Array;
}

/** Builds the next table's parts from the previous one's, copy-on-write. */
class TableWriter<T extends Routed> {
  #exact: Map<string, ApisByBasePath<T>>;
  #wildcard: Map<string, ApisByBasePath<T>>;
  #anyHost: ApisByBasePath<T>;
  readonly #byName: Map<string, T>;
  #lengths: Uint32Array;
  #lengthsOwn = false;
  /** The maps this writer made (or copied) and may therefore change. */
  readonly #own = new Set<Map<string, unknown>>();

  constructor(from: FrozenRouteTable<T> | undefined) {
    const p = from === undefined ? undefined : FrozenRouteTable.partsOf(from);
    this.#exact = p?.exact ?? this.#mine(new Map());
    this.#wildcard = p?.wildcard ?? this.#mine(new Map());
    this.#anyHost = p?.anyHost ?? this.#mine(new Map());
    this.#byName = new Map(p?.byName);
    this.#lengths = p?.lengths ?? new Uint32Array(2);
  }

  remove(names: Iterable<string>): this {
    for (const name of names) this.#remove(name);
    return this;
  }

  put(apis: readonly T[]): this {
    for (const api of apis) this.#remove(api.definition.name);
    for (const api of apis) this.#add(api);
    return this;
  }

  finish(): FrozenRouteTable<T> {
    return new FrozenRouteTable({ exact: this.#exact, wildcard: this.#wildcard, anyHost: this.#anyHost, byName: this.#byName, lengths: this.#lengths });
  }

  #remove(name: string): void {
    const api = this.#byName.get(name);
    if (api === undefined) return;
    const def = api.definition;
    for (const claim of routeClaims(def)) {
      const { tiers, key } = this.#tierOf(claim.host);
      const byPath = tiers === undefined ? this.#anyHost : tiers.get(key);
      if (byPath?.get(def.basePath)?.api !== api) continue;
      const own = this.#writable(claim.host);
      own.delete(def.basePath);
      if (own.size === 0 && tiers !== undefined) this.#writableTiers(claim.host).delete(key);
    }
    this.#countLength(def.basePath.length, -1);
    this.#byName.delete(name);
  }

  #add(api: T): void {
    const def = api.definition;
    if (!def.basePath.startsWith(SLASH)) throw new Error(`API ${def.name}: base path "${def.basePath}" does not start with "/"`);
    if (this.#byName.has(def.name)) this.#remove(def.name);
    const entry: ApiEntry<T> = { api, basePath: def.basePath, stripBasePath: def.stripBasePath, routes: api.router };
    // The route-claim rule of the API schema (the store and the compiler apply it too): a
    // claim is the slot for its host and base path, so a taken slot is a collision.
    for (const claim of routeClaims(def)) {
      const owner = this.#writable(claim.host).get(def.basePath);
      if (owner !== undefined && owner.api.definition.name !== def.name) throw new Error(`APIs ${owner.api.definition.name} and ${def.name} both claim ${describeClaim(claim)}`);
    }
    for (const claim of routeClaims(def)) this.#writable(claim.host).set(def.basePath, entry);
    this.#countLength(def.basePath.length, 1);
    this.#byName.set(def.name, api);
  }

  #countLength(length: number, delta: number): void {
    if (!this.#lengthsOwn || length >= this.#lengths.length) {
      const copy = new Uint32Array(Math.max(this.#lengths.length, length + 1));
      copy.set(this.#lengths);
      this.#lengths = copy;
      this.#lengthsOwn = true;
    }
    this.#lengths[length] = this.#lengths[length]! + delta;
  }

  /** The host tier map a claim's host lives in and its key there (`tiers` undefined: the any-host tier). */
  #tierOf(host: string): { tiers: Map<string, ApisByBasePath<T>> | undefined; key: string } {
    if (host === ANY_HOST) return { tiers: undefined, key: '' };
    const wildcard = host.startsWith(WILDCARD_PREFIX);
    return { tiers: wildcard ? this.#wildcard : this.#exact, key: wildcard ? host.slice(1) : host };
  }

  #writableTiers(host: string): Map<string, ApisByBasePath<T>> {
    const wildcard = host.startsWith(WILDCARD_PREFIX);
    const tiers = wildcard ? this.#wildcard : this.#exact;
    if (this.#own.has(tiers)) return tiers;
    const copy = this.#mine(new Map(tiers));
    if (wildcard) this.#wildcard = copy;
    else this.#exact = copy;
    return copy;
  }

  /** The base-path map of a claim's host tier, made this writer's own (copied or created) first. */
  #writable(host: string): ApisByBasePath<T> {
    if (host === ANY_HOST) {
      if (!this.#own.has(this.#anyHost)) this.#anyHost = this.#mine(new Map(this.#anyHost));
      return this.#anyHost;
    }
    const { key } = this.#tierOf(host);
    const tiers = this.#writableTiers(host);
    const byPath = tiers.get(key);
    if (byPath !== undefined && this.#own.has(byPath)) return byPath;
    const mine = this.#mine(new Map(byPath));
    tiers.set(key, mine);
    return mine;
  }

  #mine<M extends Map<string, unknown>>(map: M): M {
    this.#own.add(map);
    return map;
  }
}

class FrozenRouteTable<T extends Routed> implements RouteTable<T> {
  readonly size: number;
  readonly apis: readonly T[];
  /** For the next table's writer (module-internal: the class is not exported); never changed once the table is built. */
  readonly #parts: TableParts<T>;
  readonly #exact: Map<string, ApisByBasePath<T>>;
  readonly #wildcard: Map<string, ApisByBasePath<T>>;
  readonly #anyHost: ApisByBasePath<T>;
  readonly #lengths: Uint32Array;

  static partsOf<T extends Routed>(table: FrozenRouteTable<T>): TableParts<T> {
    return table.#parts;
  }

  constructor(parts: TableParts<T>) {
    this.#parts = parts;
    this.#exact = parts.exact;
    this.#wildcard = parts.wildcard;
    this.#anyHost = parts.anyHost;
    this.#lengths = parts.lengths;
    this.size = parts.byName.size;
    this.apis = Object.freeze([...parts.byName.values()]);
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
    const lengths = this.#lengths;
    // Candidates: the whole path, then the prefix before each '/', right to left.
    // A prefix ending just before a '/' (or the whole path) lies on a segment boundary,
    // so `/orders` matches `/orders`, `/orders/` and `/orders/42` but never `/ordersx`.
    let end = path.length;
    while (end > 0) {
      if (end < lengths.length && lengths[end]! > 0) {
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
