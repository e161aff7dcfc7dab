import type { JsonWebKey } from 'node:crypto';
import { Authenticator, resolveCorsPolicy, type AuthPolicy, type JwksCacheRegistry, type ResolvedCorsPolicy } from '@gw/auth';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { IdempotencyGuard, type IdempotencyStore } from '@gw/idempotency';
import type { Logger } from '@gw/logging';
import type { RateLimiter } from '@gw/rate-limit';
import { noPolicies, type SnapshotApi, type SnapshotAuth, type SnapshotJwk, type SnapshotRateLimit } from '@gw/config-contract';
import type { PolicyEvents } from './policy-events.js';

export interface ApiPolicyDeps {
  jwks: JwksCacheRegistry;
  idempotencyStore: IdempotencyStore;
  /** The limiter for `id` with this configuration (reused across snapshots when unchanged). */
  limiter(id: string, api: string, policy: SnapshotRateLimit): RateLimiter;
  events: PolicyEvents;
  logger: Logger;
}

/**
 * The policies of one API, built once when a snapshot is applied (never per request):
 * the resolved CORS policy, the authenticator (API keys, JWT verifier and its JWKS
 * cache), the rate limiters of the API and of each of its routes, the idempotency guard.
 * Building fails with `GW_SNAPSHOT_INVALID` naming the block (never a secret), so a
 * runtime NACKs a snapshot it cannot enforce instead of serving it without its policies.
 */
export class ApiPolicies {
  readonly api: string;
  readonly consumerHeader: string;
  readonly cors: ResolvedCorsPolicy | undefined;
  readonly auth: Authenticator | undefined;
  readonly limiters: readonly RateLimiter[];
  /** Route name → the route's own limiters (on top of the API's). */
  readonly routeLimiters: ReadonlyMap<string, readonly RateLimiter[]>;
  readonly idempotency: IdempotencyGuard | undefined;
  /** Nothing to do but strip the consumer header: the request goes on synchronously. */
  readonly passive: boolean;

  constructor(api: SnapshotApi, deps: ApiPolicyDeps) {
    // A snapshot of an earlier version (a runtime's cache file) has no policies: none apply.
    const p = api.policies ?? noPolicies();
    this.api = api.name;
    this.consumerHeader = p.consumerHeader;
    const at = (block: string) => `apis[${api.name}].policies.${block}`;
    this.cors = p.cors.enabled ? build(at('cors'), () => resolveCorsPolicy(p.cors)) : undefined;
    this.auth = p.auth.enabled ? build(at('auth'), () => new Authenticator(api.name, authPolicy(p.auth), { jwks: deps.jwks, logger: deps.logger })) : undefined;
    this.limiters = p.rateLimits.map((r) => build(at(`rateLimits.${r.name}`), () => deps.limiter(`${api.name}/${r.name}`, api.name, r)));
    const byRoute = new Map<string, RateLimiter[]>();
    for (const route of api.routes) {
      if (route.rateLimits === undefined || route.rateLimits.length === 0) continue;
      byRoute.set(
        route.name,
        route.rateLimits.map((r) => build(`apis[${api.name}].routes[${route.name}].rateLimits.${r.name}`, () => deps.limiter(`${api.name}/${route.name}/${r.name}`, api.name, r))),
      );
    }
    this.routeLimiters = byRoute;
    const idem = p.idempotency;
    this.idempotency = idem.enabled
      ? build(
          at('idempotency'),
          () =>
            new IdempotencyGuard(
              { methods: idem.methods, required: idem.required, headerName: idem.headerName, ttlMs: idem.ttlMs, lockTtlMs: idem.lockTtlMs, maxResponseBytes: idem.maxResponseBytes },
              {
                store: deps.idempotencyStore,
                logger: deps.logger,
                metrics: {
                  outcome: (name, outcome) => deps.events.idempotencyOutcome?.(name, outcome),
                  storeFailure: (name, operation) => deps.events.idempotencyStoreFailure?.(name, operation),
                },
              },
            ),
        )
      : undefined;
    this.passive = this.cors === undefined && this.auth === undefined && this.limiters.length === 0 && byRoute.size === 0 && this.idempotency === undefined;
  }

  /** The API's limiters, then those of the matched route. */
  limitersFor(routeName: string | null): readonly RateLimiter[] {
    const own = routeName === null ? undefined : this.routeLimiters.get(routeName);
    return own === undefined ? this.limiters : [...this.limiters, ...own];
  }
}

/** The library's option type from the snapshot's explicit form ('' and disabled blocks left out). */
function authPolicy(a: SnapshotAuth): AuthPolicy {
  const policy: AuthPolicy = {};
  if (a.apiKey.enabled) {
    policy.apiKey = {
      in: a.apiKey.location === 'query' ? { query: a.apiKey.name } : { header: a.apiKey.name },
      forward: a.apiKey.forward,
      keys: a.apiKey.keys.map((k) => ({ sha256: k.sha256, consumer: k.consumer, ...(k.id === '' ? {} : { id: k.id }) })),
    };
  }
  if (a.jwt.enabled) {
    const j = a.jwt;
    policy.jwt = {
      keys: j.keys.map(jwkOf),
      ...(j.jwksUrl === '' ? {} : { jwksUrl: j.jwksUrl }),
      issuers: j.issuers,
      audiences: j.audiences,
      algorithms: j.algorithms as NonNullable<AuthPolicy['jwt']>['algorithms'],
      clockSkewSec: j.clockSkewSec,
      requireExp: j.requireExp,
      consumerClaim: j.consumerClaim,
      forward: j.forward,
    };
  }
  if (a.allowConsumers.length > 0) policy.allowConsumers = a.allowConsumers;
  return policy;
}

function jwkOf(k: SnapshotJwk): JsonWebKey & { kid?: string; alg?: string } {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(k)) if (value !== '') out[name] = value;
  return out as JsonWebKey & { kid?: string; alg?: string };
}

/**
 * Runs one builder; a failure becomes GW_SNAPSHOT_INVALID at `path`. The libraries'
 * messages name fields and rules, never values; anything else is reported generically.
 */
function build<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    const reason = err instanceof GatewayError ? err.message : 'cannot be built';
    throw new GatewayError(ErrorCodes.GW_SNAPSHOT_INVALID, `${path}: ${reason}`);
  }
}
