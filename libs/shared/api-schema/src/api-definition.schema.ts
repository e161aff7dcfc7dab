import { z } from 'zod';
import { basePathProblem } from './base-path.js';
import { describeType } from './field-problems.js';
import { normalizedString, quote, ruledString, uniqueList } from './field-kinds.js';
import { hostPatternProblem } from './host-pattern.js';
import { API_LIMITS, POLICY_LIMITS } from './limits.js';
import { PoliciesSchema } from './policies.schema.js';
import { RoutesSchema } from './routes.schema.js';
import { UpstreamSchema } from './upstream.schema.js';

export const API_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Whether `name` is a valid API name (DNS-label style, at most 63 characters). */
export function isValidApiName(name: string): boolean {
  return name.length <= API_LIMITS.nameMaxLength && API_NAME_PATTERN.test(name);
}

const Fields = z.strictObject(
  {
    name: z
      .string()
      .max(API_LIMITS.nameMaxLength)
      .regex(API_NAME_PATTERN, { error: 'must be lower-case letters, digits and "-", starting and ending with a letter or digit' })
      .meta({ description: 'DNS-label style; the `{name}` of `PUT /v1/apis/{name}` (the body may leave it out).' }),
    basePath: ruledString(basePathProblem, z.string().max(API_LIMITS.basePathMaxLength)).meta({
        description:
          'Path prefix the API is served under, e.g. `/orders`; `/` serves every path. Starts with `/`, no trailing `/` (except `/` itself), no empty, `.` or `..` segments, no `%`, `?` or `#`: RFC 3986 segment characters only. Matched on segment boundaries, longest first.',
      }),
    hosts: uniqueList(
      normalizedString((v) => {
        const host = v.toLowerCase();
        const problem = hostPatternProblem(host);
        return problem === undefined ? host : { problem };
      }),
      API_LIMITS.hostsMax,
      { key: (h) => h, detail: (h) => `(${quote(h)})` },
    )
      .default([])
      .meta({
        description:
          'Host names the API answers for, stored lower-case: exact (`api.example.com`, an IPv4 address is a name too) or one leading wildcard label (`*.example.com`, any depth of subdomain, not `example.com` itself). DNS labels, at most 253 characters, no port, no duplicates; `*` alone is refused. Empty: any host.',
      }),
    stripBasePath: z.boolean().default(true).meta({ description: 'Strip `basePath` before forwarding: `GET /orders/42` reaches the upstream as `GET /42`.' }),
    routes: RoutesSchema.meta({
      description: 'Finer routes under `basePath`; empty: the whole base path is one route for every method. Two routes may not serve the same method on the same path (`/:id` and `/:key` are one path).',
    }),
    upstream: UpstreamSchema.meta({ description: 'Where the requests go and how failure is absorbed.' }),
    policies: PoliciesSchema.prefault({}).meta({ description: 'CORS, authentication, rate limits, idempotency keys; absent: all off.' }),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? `must be a JSON object, not ${describeType(issue.input)}` : undefined) },
);

/**
 * The API definition: what operators write (the body of `PUT /v1/apis/{name}`), declared
 * once. Parsing fills every default, so everything downstream (store, compiler, the
 * runtime) sees one fully specified shape; the rules that span fields run last.
 */
export const ApiDefinitionSchema = Fields.transform((def, ctx) => {
  // The runtime counts a route's limit under `<api>/<route>/<name>` (in Redis and the RateLimit headers); that id has a length limit.
  def.routes.forEach((route, i) =>
    route.rateLimits.forEach((limit, j) => {
      const id = `${def.name}/${route.name}/${limit.name}`;
      if (id.length > POLICY_LIMITS.rateLimitIdMaxLength) {
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'rateLimits', j, 'name'], message: `makes the limiter id "${id}" longer than ${POLICY_LIMITS.rateLimitIdMaxLength} characters; use a shorter name`, input: limit.name });
      }
    }),
  );
  // An idempotency claim must outlive every try of the request it guards.
  const given = def.policies.idempotency;
  const totalMs = def.upstream.timeouts.totalMs;
  const idempotency = given === null ? null : { ...given, lockTtlMs: given.lockTtlMs ?? Math.max(120_000, totalMs + 1_000) };
  if (given !== null && idempotency !== null) {
    const at = (field: string) => ['policies', 'idempotency', field];
    if (idempotency.lockTtlMs > idempotency.ttlMs) {
      if (given.lockTtlMs === undefined) ctx.addIssue({ code: 'custom', path: at('ttlMs'), message: `must be at least lockTtlMs (${idempotency.lockTtlMs})`, input: given.ttlMs });
      else ctx.addIssue({ code: 'custom', path: at('lockTtlMs'), message: `must be at most ttlMs (${given.ttlMs})`, input: given.lockTtlMs });
    } else if (idempotency.lockTtlMs <= totalMs) {
      ctx.addIssue({ code: 'custom', path: at('lockTtlMs'), message: `must be above upstream.timeouts.totalMs (${totalMs}): a claim must outlive every try of its request`, input: idempotency.lockTtlMs });
    }
  }
  return { ...def, policies: { ...def.policies, idempotency } };
});

/** What operators write: every field with a default may be left out. */
export type ApiDefinitionInput = z.input<typeof ApiDefinitionSchema>;
/** The fully specified definition, every default filled in: what the store keeps and the runtime consumes. */
export type ApiDefinition = z.output<typeof ApiDefinitionSchema>;
export type ApiRoute = ApiDefinition['routes'][number];
export type UpstreamDefinition = ApiDefinition['upstream'];
export type TargetDefinition = UpstreamDefinition['targets'][number];
export type LoadBalancing = UpstreamDefinition['loadBalancing'];
export type LoadBalancingAlgorithm = LoadBalancing['algorithm'];
export type Timeouts = UpstreamDefinition['timeouts'];
export type Retries = UpstreamDefinition['retries'];
export type HealthCheck = NonNullable<UpstreamDefinition['healthCheck']>;
export type OutlierDetection = NonNullable<UpstreamDefinition['outlierDetection']>;
export type CircuitBreaker = NonNullable<UpstreamDefinition['circuitBreaker']>;
export type Policies = ApiDefinition['policies'];
export type CorsPolicy = NonNullable<Policies['cors']>;
export type AuthPolicy = NonNullable<Policies['auth']>;
export type ApiKeyAuth = NonNullable<AuthPolicy['apiKey']>;
export type ApiKeyEntry = ApiKeyAuth['keys'][number];
export type JwtAuth = NonNullable<AuthPolicy['jwt']>;
export type RateLimitDefinition = Policies['rateLimits'][number];
export type RateLimitScope = RateLimitDefinition['scope'];
export type RateLimitFailureMode = RateLimitDefinition['failureMode'];
export type IdempotencyPolicy = NonNullable<Policies['idempotency']>;

/** A stored API: its definition plus the revision the store assigned. */
export interface StoredApi {
  definition: ApiDefinition;
  /** Increments on every write of this API; the `ETag` of the deploy API. */
  revision: number;
  createdAt: string;
  updatedAt: string;
  /** Who made the current revision (the audit actor); only the list carries it. */
  updatedBy?: string;
}
