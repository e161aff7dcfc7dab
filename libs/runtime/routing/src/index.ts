export type { Route, RouteMatch, MethodNotAllowed, RouteLookup, RouteTarget } from './route.js';
export { buildRouteTable, type RouteTable } from './route-table.js';
export { normalizeHost } from './host-name.js';
export { parseRouteTarget, upstreamPath } from './route-target.js';
