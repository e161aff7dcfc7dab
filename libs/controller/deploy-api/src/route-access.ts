import { ErrorCodes, GatewayError } from '@gw/errors';
import type express from 'express';
import type { RequestHandler } from 'express';
import type { Access } from './access.js';
import { requireAccess } from './bearer-auth.js';
import { readsJsonBody } from './json-body.js';
import { isOperationDoc, type OperationDoc } from './operation-doc.js';
import { methodNotAllowed } from './problem-details.js';

export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Per method: the access it needs, its OpenAPI description (GET /v1/openapi.json), then its
 * handlers (body parsing included, so it runs after the check).
 */
export type RouteSpec = readonly [Access, OperationDoc, ...RequestHandler[]] | readonly [Access, ...RequestHandler[]];
export type RouteMethods = Partial<Record<RouteMethod, RouteSpec>>;

/** One method of one path and the access it was declared with. */
export interface DeclaredRoute {
  method: Uppercase<RouteMethod>;
  path: string;
  access: Access;
  /** Set on the entry of an `elevatedWhen` handler: the query (`includeSecrets=true`) that needs more access. */
  query?: string;
  /** The operation's OpenAPI description, when the declaration gave one. */
  doc?: OperationDoc;
  /** A `jsonBody` handler reads the body (so 400/413/415 are possible answers). */
  readsJsonBody: boolean;
}

const ELEVATION = Symbol('elevation');
type ElevatedHandler = RequestHandler & { [ELEVATION]: { name: string; value: string; access: Access } };

/**
 * A handler for `declareRoute` that asks for more access when the request carries one query
 * parameter value (`GET /v1/export?includeSecrets=true` is admin's while the export is a
 * viewer's). `declareRoute` records it as a route of its own, so `listDeclaredRoutes` and
 * the route × role matrix see and test it like any other.
 */
export function elevatedWhen(name: string, value: string, access: Access): RequestHandler {
  const check = requireAccess(access);
  const handler: RequestHandler = (req, res, next) => (req.query[name] === value ? check(req, res, next) : next());
  return Object.assign(handler, { [ELEVATION]: { name, value, access } }) satisfies ElevatedHandler;
}

function elevationOf(handler: RequestHandler): ElevatedHandler[typeof ELEVATION] | undefined {
  return (handler as Partial<ElevatedHandler>)[ELEVATION];
}

/** What `declareRoute` attached to each express Route, found again by walking the app. */
const DECLARED = new WeakMap<object, DeclaredRoute[]>();

/**
 * The only way the deploy API registers a route: every method names its access in the same
 * statement, the access check runs before any other handler (so nothing reads the body of
 * a refused request), and every other method answers 405 with an `Allow` derived from the
 * declared ones. `createControllerHttpApp` refuses to build an app with a route registered
 * any other way (`assertEveryRouteDeclared`).
 */
export function declareRoute(router: Pick<express.Router, 'route'>, path: string, methods: RouteMethods): void {
  const route = router.route(path);
  const declared: DeclaredRoute[] = [];
  const allow: string[] = [];
  for (const [method, spec] of Object.entries(methods) as [RouteMethod, RouteSpec][]) {
    const [access, ...rest] = spec;
    const doc = isOperationDoc(rest[0]) ? rest[0] : undefined;
    const handlers = (rest as readonly unknown[]).filter((h): h is RequestHandler => typeof h === 'function');
    route[method](requireAccess(access), ...handlers);
    const common = { method: method.toUpperCase() as Uppercase<RouteMethod>, path, readsJsonBody: handlers.some(readsJsonBody) };
    declared.push({ ...common, access, ...(doc === undefined ? {} : { doc }) });
    for (const elevation of handlers.map(elevationOf)) {
      if (elevation !== undefined) declared.push({ ...common, access: elevation.access, query: `${elevation.name}=${elevation.value}` });
    }
    allow.push(method.toUpperCase(), ...(method === 'get' ? ['HEAD'] : []));
  }
  // A wrong method on a guarded path says nothing to a caller without a token.
  const anyPublic = declared.some((d) => d.access === 'public');
  route.all(requireAccess(anyPublic ? 'public' : 'viewer'), methodNotAllowed(allow));
  DECLARED.set(route, declared);
}

interface StackLayer {
  route?: { path: unknown };
  handle?: { stack?: StackLayer[] };
}

function walk(stack: readonly StackLayer[], visit: (route: object, path: string) => void): void {
  for (const layer of stack) {
    if (layer.route !== undefined) visit(layer.route, String(layer.route.path));
    else if (Array.isArray(layer.handle?.stack)) walk(layer.handle.stack, visit);
  }
}

function stackOf(app: express.Express): StackLayer[] {
  return (app as unknown as { router: { stack: StackLayer[] } }).router.stack;
}

/** Every route of the app with its declared access (routers are mounted at the root). */
export function listDeclaredRoutes(app: express.Express): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  walk(stackOf(app), (route) => routes.push(...(DECLARED.get(route) ?? [])));
  return routes;
}

/** Throws when a route was registered without `declareRoute`, so no route ships unguarded. */
export function assertEveryRouteDeclared(app: express.Express): void {
  const undeclared: string[] = [];
  walk(stackOf(app), (route, path) => {
    if (!DECLARED.has(route)) undeclared.push(path);
  });
  if (undeclared.length > 0) {
    throw new GatewayError(ErrorCodes.GW_INTERNAL, `Routes registered without a declared access (use declareRoute): ${undeclared.join(', ')}.`);
  }
}
