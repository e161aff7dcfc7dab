export type { Routed, RouteMatch, MethodNotAllowed, RouteLookup } from './route.js';
export { buildRouteTable, updateRouteTable, type RouteTable } from './route-table.js';
export { normalizeHost } from './host-name.js';
export { ApiRoutes, buildApiRoutes, type ApiRouteLookup } from './api-routes.js';
