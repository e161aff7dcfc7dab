import type { ApiRoute } from '@gw/api-schema';
import Router from 'find-my-way';

/** What an API's routes say about one method + path. */
export type ApiRouteLookup =
  | { readonly kind: 'matched'; readonly routeName: string }
  | { readonly kind: 'method-not-allowed'; readonly allow: string }
  | { readonly kind: 'no-route' };

type HttpMethod = Router.HTTPMethod;
type FindResult = Router.FindResult<Router.HTTPVersion.V1>;

/** What each registered handler stores: the route's interned match and its specificity. */
interface RouteInfo {
  readonly result: ApiRouteLookup;
  /** One character per segment: `0` static, `1` `:param`, `2` `*`; lower sorts more specific. */
  readonly rank: string;
}

const NO_ROUTE: ApiRouteLookup = Object.freeze({ kind: 'no-route' });
const EMPTY_QUERY = Object.freeze({});
/** Paths here have no query string: the proxy splits it off before routing. */
const noQuery = (): Record<string, string> => EMPTY_QUERY;
const noHandler = (): void => undefined;
/** Far beyond any URL length limit: a long id must never turn a match into a 404. */
const MAX_PARAM_LENGTH = 1 << 20;
const GET = 'GET';
const HEAD = 'HEAD';
/** The tree the any-method router files its routes under; requests of every method look there. */
const ANY_TREE: HttpMethod = 'GET';
const WILDCARD_PARAM = '*';

function newRouter(): Router.Instance<Router.HTTPVersion.V1> {
  return Router({ maxParamLength: MAX_PARAM_LENGTH, querystringParser: noQuery });
}

/**
 * The routes of one API, built once per table with find-my-way. The router decides what
 * "most specific" means inside the API (segment by segment, static beats `:param`, which
 * beats a trailing `*`), matches case-sensitively, keeps trailing slashes significant
 * and compares percent-decoded paths (encoded reserved characters such as `%2F` stay
 * encoded). A `:param` never matches an empty segment (`/` does not match `/:id`).
 *
 * A route with GET also serves HEAD unless another route declares HEAD for the same
 * path, as RFC 9110 expects. A route without methods serves every method: such routes
 * live in a second router under a single tree (registering a path under all 34 methods
 * find-my-way knows costs ~100 KB per route), and when both routers match, the more
 * specific pattern wins, as it would in one router.
 */
export class ApiRoutes {
  readonly #byMethod = newRouter();
  readonly #anyMethod: Router.Instance<Router.HTTPVersion.V1> | undefined;
  /** The methods some route names, HEAD added for GET, sorted: the candidates for `Allow`. */
  readonly #namedMethods: readonly string[];

  constructor(routes: readonly ApiRoute[]) {
    /** Path shapes (parameter names erased) that already serve HEAD. */
    const headShapes = new Set<string>();
    const named = new Set<string>();
    let anyMethod: Router.Instance<Router.HTTPVersion.V1> | undefined;
    const infos = new Map<string, RouteInfo>();
    for (const route of routes) {
      infos.set(route.name, Object.freeze({ result: Object.freeze({ kind: 'matched', routeName: route.name }), rank: rankOf(route.path) }));
    }
    for (const route of routes) {
      const info = infos.get(route.name)!;
      if (route.methods.length === 0) {
        (anyMethod ??= newRouter()).on(ANY_TREE, route.path, noHandler, info);
        headShapes.add(shapeOf(route.path));
        continue;
      }
      this.#byMethod.on(route.methods as HttpMethod[], route.path, noHandler, info);
      for (const m of route.methods) named.add(m);
      if (route.methods.includes(HEAD)) headShapes.add(shapeOf(route.path));
    }
    // Implied HEAD routes go in last, only where no route serves HEAD for that path already.
    for (const route of routes) {
      const shape = shapeOf(route.path);
      if (!route.methods.includes(GET) || headShapes.has(shape)) continue;
      this.#byMethod.on(HEAD, route.path, noHandler, infos.get(route.name)!);
      headShapes.add(shape);
      named.add(HEAD);
    }
    this.#anyMethod = anyMethod;
    this.#namedMethods = Object.freeze([...named].sort());
  }

  /**
   * @param method the request method
   * @param path the request path below the API's base path (`/` for the base path itself)
   */
  lookup(method: string, path: string): ApiRouteLookup {
    const specific = usable(this.#byMethod.find(method as HttpMethod, path));
    const any = this.#anyMethod === undefined ? undefined : usable(this.#anyMethod.find(ANY_TREE, path));
    if (specific !== undefined || any !== undefined) {
      if (specific === undefined) return any!.result;
      if (any === undefined) return specific.result;
      return any.rank < specific.rank ? any.result : specific.result;
    }
    // Off the hot path: does the path exist for some other method?
    const allow: string[] = [];
    for (const m of this.#namedMethods) {
      if (m !== method && usable(this.#byMethod.find(m as HttpMethod, path)) !== undefined) allow.push(m);
    }
    return allow.length === 0 ? NO_ROUTE : { kind: 'method-not-allowed', allow: allow.join(', ') };
  }
}

/** The route a find() result names, unless it only matched by giving a `:param` an empty value. */
function usable(found: FindResult | null): RouteInfo | undefined {
  if (found === null) return undefined;
  const params = found.params;
  for (const key in params) {
    if (key !== WILDCARD_PARAM && params[key] === '') return undefined;
  }
  return found.store as RouteInfo;
}

/** `/:id` and `/:name` are one path to a router. */
function shapeOf(path: string): string {
  return path
    .split('/')
    .map((s) => (s.startsWith(':') ? ':' : s))
    .join('/');
}

function rankOf(path: string): string {
  return path
    .slice(1)
    .split('/')
    .map((s) => (s === '*' ? '2' : s.startsWith(':') ? '1' : '0'))
    .join('');
}

/** The router of an API's routes, or `undefined` when it has none (the whole base path, every method). */
export function buildApiRoutes(routes: readonly ApiRoute[]): ApiRoutes | undefined {
  return routes.length === 0 ? undefined : new ApiRoutes(routes);
}
