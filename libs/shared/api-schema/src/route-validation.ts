import { API_LIMITS, ROUTE_METHODS, type ApiRoute } from './api-definition.js';
import { ProblemList, describeType, field, isObject, join, rejectUnknownFields } from './field-checks.js';
import { checkRateLimits } from './policy-validation.js';

const ROUTE_FIELDS = ['name', 'methods', 'path', 'rateLimits'] as const;
const ROUTE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const PARAM_PATTERN = /^:[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 3986 `pchar` minus percent-encoding, and minus ":" and "*", which are pattern syntax here. */
const STATIC_SEGMENT_PATTERN = /^[A-Za-z0-9\-._~!$&'()+,;=@]+$/;

/**
 * The shape of a route path for conflict checks: parameter names do not matter to a
 * router (`/:id` and `/:name` match the same requests), so each becomes `:`.
 */
export function routePathShape(path: string): string {
  return path
    .split('/')
    .map((s) => (s.startsWith(':') ? ':' : s))
    .join('/');
}

/** What is wrong with a route path pattern, or `undefined`. */
export function routePathProblem(path: string): string | undefined {
  if (path.length > API_LIMITS.routePathMaxLength) return `must be at most ${API_LIMITS.routePathMaxLength} characters`;
  if (!path.startsWith('/')) return 'must start with "/" (it is relative to basePath)';
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  const params = new Set<string>();
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '') {
      if (last) continue; // a trailing "/" is a distinct path, as in the router
      return 'must not contain empty segments ("//")';
    }
    if (s === '*') {
      if (!last) return 'may only use "*" as the last segment (it matches the rest of the path)';
      continue;
    }
    if (s.startsWith(':')) {
      if (!PARAM_PATTERN.test(s)) return `segment "${s}" must be ":" followed by a name of letters, digits and "_" (no regular expressions)`;
      if (params.has(s)) return `uses the parameter "${s}" twice`;
      params.add(s);
      continue;
    }
    if (s === '.' || s === '..') return 'must not contain "." or ".." segments';
    if (!STATIC_SEGMENT_PATTERN.test(s)) {
      return `segment "${s}" must be a whole ":param", a final "*", or letters, digits and -._~!$&'()+,;=@ (no "%", ":" or "*" inside a segment)`;
    }
  }
  return undefined;
}

/** Checks `routes`: an absent list means none (the base path is one route for every method). */
export function checkRoutes(value: unknown, problems: ProblemList): ApiRoute[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add('routes', `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > API_LIMITS.routesMax) {
    problems.add('routes', `must have at most ${API_LIMITS.routesMax} items`);
    return undefined;
  }
  const routes: ApiRoute[] = [];
  let valid = true;
  value.forEach((item: unknown, i) => {
    const route = checkRoute(item, `routes[${i}]`, problems);
    if (route === undefined) valid = false;
    routes.push(route ?? { name: '', methods: [], path: '', rateLimits: [] });
  });
  if (!valid) return undefined;
  return checkRouteOverlaps(routes, problems) ? routes : undefined;
}

function checkRoute(value: unknown, path: string, problems: ProblemList): ApiRoute | undefined {
  if (!isObject(value)) {
    problems.add(path, `must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const before = problems.count;
  const name = field(value, 'name');
  if (name === undefined) problems.add(join(path, 'name'), 'is required');
  else if (typeof name !== 'string') problems.add(join(path, 'name'), `must be a string, not ${describeType(name)}`);
  else if (name.length > API_LIMITS.nameMaxLength || !ROUTE_NAME_PATTERN.test(name)) {
    problems.add(join(path, 'name'), `must be 1-${API_LIMITS.nameMaxLength} lower-case letters, digits and "-", starting and ending with a letter or digit`);
  }
  const methods = checkMethods(field(value, 'methods'), join(path, 'methods'), problems);
  const routePath = field(value, 'path');
  if (routePath === undefined) problems.add(join(path, 'path'), 'is required');
  else if (typeof routePath !== 'string') problems.add(join(path, 'path'), `must be a string, not ${describeType(routePath)}`);
  else {
    const message = routePathProblem(routePath);
    if (message !== undefined) problems.add(join(path, 'path'), message);
  }
  const rateLimits = checkRateLimits(field(value, 'rateLimits'), join(path, 'rateLimits'), problems);
  rejectUnknownFields(value, ROUTE_FIELDS, path, problems);
  if (problems.count !== before || methods === undefined || rateLimits === undefined) return undefined;
  return { name: name as string, methods, path: routePath as string, rateLimits };
}

function checkMethods(value: unknown, path: string, problems: ProblemList): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  const methods: string[] = [];
  const before = problems.count;
  value.forEach((m: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof m !== 'string') problems.add(at, `must be a string, not ${describeType(m)}`);
    else if (!(ROUTE_METHODS as readonly string[]).includes(m)) {
      const upper = m.toUpperCase();
      problems.add(
        at,
        (ROUTE_METHODS as readonly string[]).includes(upper) ? `must be upper-case ("${upper}")` : `must be one of ${ROUTE_METHODS.join(', ')} (leave methods out to accept every method)`,
      );
    } else if (methods.includes(m)) problems.add(at, `duplicates ${path}[${methods.indexOf(m)}] ("${m}")`);
    else methods.push(m);
  });
  return problems.count === before ? methods : undefined;
}

/** Two routes of one API may not serve the same method on the same path (a route without methods serves all). */
function checkRouteOverlaps(routes: readonly ApiRoute[], problems: ProblemList): boolean {
  const before = problems.count;
  const names = new Map<string, number>();
  const byShape = new Map<string, number[]>();
  routes.forEach((route, j) => {
    const sameName = names.get(route.name);
    if (sameName !== undefined) problems.add(`routes[${j}].name`, `duplicates routes[${sameName}].name ("${route.name}")`);
    else names.set(route.name, j);
    const shape = routePathShape(route.path);
    const earlier = byShape.get(shape) ?? [];
    for (const i of earlier) {
      const other = routes[i]!;
      const shared = overlappingMethods(route.methods, other.methods);
      if (shared !== undefined) {
        problems.add(`routes[${j}]`, `conflicts with routes[${i}] ("${other.name}"): both serve ${shared} ${other.path === route.path ? route.path : `${other.path} and ${route.path}`}`);
        break;
      }
    }
    earlier.push(j);
    byShape.set(shape, earlier);
  });
  return problems.count === before;
}

function overlappingMethods(a: readonly string[], b: readonly string[]): string | undefined {
  if (a.length === 0 && b.length === 0) return 'every method on';
  if (a.length === 0) return b.join(', ');
  if (b.length === 0) return a.join(', ');
  const shared = a.filter((m) => b.includes(m));
  return shared.length === 0 ? undefined : shared.join(', ');
}
