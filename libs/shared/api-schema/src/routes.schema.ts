import { z } from 'zod';
import { noDuplicates, quote, ruledString, strictBlock } from './field-kinds.js';
import { API_LIMITS as L } from './limits.js';
import { ROUTE_METHODS } from './methods.js';
import { RateLimitsSchema } from './policies.schema.js';
import { routePathProblem, routePathShape } from './route-path.js';

const ROUTE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ROUTE_NAME_MESSAGE = `must be 1-${L.nameMaxLength} lower-case letters, digits and "-", starting and ending with a letter or digit`;

function methodProblem(m: string): string | undefined {
  if ((ROUTE_METHODS as readonly string[]).includes(m)) return undefined;
  const upper = m.toUpperCase();
  return (ROUTE_METHODS as readonly string[]).includes(upper) ? `must be upper-case ("${upper}")` : `must be one of ${ROUTE_METHODS.join(', ')} (leave methods out to accept every method)`;
}

const Route = strictBlock({
  name: z
    .string()
    .max(L.nameMaxLength, { error: ROUTE_NAME_MESSAGE })
    .regex(ROUTE_NAME_PATTERN, { error: ROUTE_NAME_MESSAGE })
    .meta({ description: 'Unique within the API; names the route in logs, metrics and rate-limit ids.' }),
  methods: z
    .array(ruledString(methodProblem).meta({ enum: [...ROUTE_METHODS] }))
    .superRefine((methods, ctx) => noDuplicates(methods, ctx, { key: (m) => m, detail: (m) => `(${quote(m)})` }))
    .default([])
    .meta({ description: 'Upper-case; empty: every method. A route with GET also answers HEAD.' }),
  path: ruledString(routePathProblem, z.string().max(L.routePathMaxLength)).meta({
      description:
        'Relative to `basePath`, starting with `/`: static segments (RFC 3986 segment characters without `%`, `:` and `*`), whole `:name` segments (letters, digits, `_`; no regular expressions; each name once) and `*` as the last segment; no empty segment but a trailing `/`. find-my-way syntax: static beats `:param` beats `*`.',
    }),
  rateLimits: RateLimitsSchema.meta({ description: "Rate limits for this route, on top of the API's." }),
});

export type ApiRouteShape = z.output<typeof Route>;

/** Two routes of one API may not serve the same method on the same path (a route without methods serves all). */
function overlappingMethods(a: readonly string[], b: readonly string[]): string | undefined {
  if (a.length === 0 && b.length === 0) return 'every method on';
  if (a.length === 0) return b.join(', ');
  if (b.length === 0) return a.join(', ');
  const shared = a.filter((m) => b.includes(m));
  return shared.length === 0 ? undefined : shared.join(', ');
}

/** Finer routes under the base path; absent or empty: the whole base path, every method. */
export const RoutesSchema = z
  .array(Route)
  .max(L.routesMax)
  .superRefine((routes, ctx) => {
    noDuplicates(routes, ctx, { key: (r) => r.name, field: 'name', detail: (r) => `(${quote(r.name)})` });
    const byShape = new Map<string, number[]>();
    routes.forEach((route, j) => {
      const shape = routePathShape(route.path);
      const earlier = byShape.get(shape) ?? [];
      for (const i of earlier) {
        const other = routes[i]!;
        const shared = overlappingMethods(route.methods, other.methods);
        if (shared !== undefined) {
          const paths = other.path === route.path ? route.path : `${other.path} and ${route.path}`;
          ctx.addIssue({ code: 'custom', path: [j], message: `conflicts with routes[${i}] (${quote(other.name)}): both serve ${shared} ${paths}`, input: route });
          break;
        }
      }
      earlier.push(j);
      byShape.set(shape, earlier);
    });
  })
  .default([]);
