import type { ApiDefinition } from '@gw/api-schema';
import type { ApiRoutes } from './api-routes.js';

/**
 * What the routing table routes: an API's definition (its hosts, base path and routes)
 * and whatever the caller hangs on it; a match hands that very value back, so the proxy
 * finds the API's upstream and policies without another lookup.
 */
export interface Routed {
  readonly definition: Pick<ApiDefinition, 'name' | 'hosts' | 'basePath' | 'stripBasePath'>;
  /** The router of the API's `routes` (`buildApiRoutes`); `undefined` when it has none. */
  readonly router: ApiRoutes | undefined;
}

/** The request goes to this API. */
export interface RouteMatch<T extends Routed> {
  readonly kind: 'route';
  readonly api: T;
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
export interface MethodNotAllowed<T extends Routed> {
  readonly kind: 'method-not-allowed';
  readonly api: T;
  /** The methods the path accepts, sorted and comma-separated: the `Allow` header's value. */
  readonly allow: string;
}

export type RouteLookup<T extends Routed> = RouteMatch<T> | MethodNotAllowed<T>;
