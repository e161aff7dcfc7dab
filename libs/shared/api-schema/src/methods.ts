/** Methods a route may name (CONNECT is never proxied); routes without methods accept any. */
export const ROUTE_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];
