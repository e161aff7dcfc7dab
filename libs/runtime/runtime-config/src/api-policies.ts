import type { ApiDefinition, RateLimitDefinition } from '@gw/api-schema';
import { Authenticator, resolveCorsPolicy, type JwksCacheRegistry, type ResolvedCorsPolicy } from '@gw/auth';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { IdempotencyGuard, type IdempotencyStore } from '@gw/idempotency';
import type { Logger } from '@gw/logging';
import { RateLimiter } from '@gw/rate-limit';
import type { SharedRedis } from '@gw/shared-state';
import type { PolicyEvents } from './policy-events.js';

/** What building policies needs that lives as long as the runtime. */
export interface PolicyServices {
  /** JWKS caches by URL, kept across configs (a redeploy does not refetch every key set). */
  readonly jwks: JwksCacheRegistry;
  readonly idempotencyStore: IdempotencyStore;
  /** The runtime's Redis (`REDIS_URL`); without it global limits count in this runtime. */
  readonly redis: SharedRedis | undefined;
  /** Longest wait for Redis per rate-limit decision. */
  readonly decisionTimeoutMs: number;
  readonly events: PolicyEvents;
  readonly logger: Logger;
}

/**
 * The policies of one API, built once when its resource is applied (never per request),
 * straight from the definition's `policies` block (`null` = off): the resolved CORS
 * policy, the authenticator (API keys, JWT verifier and its JWKS cache), the rate limiters
 * of the API and of each of its routes, the idempotency guard. Building fails with
 * `GW_SNAPSHOT_INVALID` naming the block (never a secret), so a runtime NACKs a config it
 * cannot enforce instead of serving it without its policies.
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
  /** Every limiter by id and settings, so the next config can keep the ones that did not change. */
  readonly #byKey = new Map<string, RateLimiter>();

  /** `previous`: this API's policies in the config being replaced, whose unchanged limiters (and their local counts) carry over. */
  constructor(def: ApiDefinition, services: PolicyServices, previous?: ApiPolicies) {
    const p = def.policies;
    this.api = def.name;
    this.consumerHeader = p.consumerHeader;
    const at = (block: string) => `api "${def.name}": policies.${block}`;
    const cors = p.cors;
    this.cors = cors === null ? undefined : build(at('cors'), () => resolveCorsPolicy(cors));
    const auth = p.auth;
    this.auth = auth === null ? undefined : build(at('auth'), () => new Authenticator(def.name, auth, { jwks: services.jwks, logger: services.logger }));
    const limiter = (id: string, policy: RateLimitDefinition, path: string) =>
      build(path, () => {
        const key = limiterKey(id, policy);
        const limiter = previous?.limiterWith(key) ?? newLimiter(id, def.name, policy, services);
        this.#byKey.set(key, limiter);
        return limiter;
      });
    this.limiters = p.rateLimits.map((r) => limiter(`${def.name}/${r.name}`, r, at(`rateLimits.${r.name}`)));
    const byRoute = new Map<string, RateLimiter[]>();
    for (const route of def.routes) {
      if (route.rateLimits.length === 0) continue;
      byRoute.set(
        route.name,
        route.rateLimits.map((r) => limiter(`${def.name}/${route.name}/${r.name}`, r, `api "${def.name}": routes.${route.name}.rateLimits.${r.name}`)),
      );
    }
    this.routeLimiters = byRoute;
    const idem = p.idempotency;
    this.idempotency =
      idem === null
        ? undefined
        : build(
            at('idempotency'),
            () =>
              new IdempotencyGuard(idem, {
                store: services.idempotencyStore,
                logger: services.logger,
                metrics: {
                  outcome: (name, outcome) => services.events.idempotencyOutcome?.(name, outcome),
                  storeFailure: (name, operation) => services.events.idempotencyStoreFailure?.(name, operation),
                },
              }),
          );
    this.passive = this.cors === undefined && this.auth === undefined && this.limiters.length === 0 && byRoute.size === 0 && this.idempotency === undefined;
  }

  /** The limiter this API already has for an id with these settings (see `limiterKey`). */
  limiterWith(key: string): RateLimiter | undefined {
    return this.#byKey.get(key);
  }

  /** The API's limiters, then those of the matched route. */
  limitersFor(routeName: string | null): readonly RateLimiter[] {
    const own = routeName === null ? undefined : this.routeLimiters.get(routeName);
    return own === undefined ? this.limiters : [...this.limiters, ...own];
  }
}

function newLimiter(id: string, api: string, policy: RateLimitDefinition, services: PolicyServices): RateLimiter {
  const events = services.events;
  return new RateLimiter(
    { ...policy, name: id },
    {
      redis: services.redis,
      decisionTimeoutMs: services.decisionTimeoutMs,
      logger: services.logger,
      metrics: {
        decision: (name, outcome, source) => events.rateLimitDecision?.(api, name, outcome, source),
        redisFailure: (name, failureMode) => events.rateLimitRedisFailure?.(api, name, failureMode),
      },
    },
  );
}

/** A limiter is reused only for the same id with the same settings. */
function limiterKey(id: string, p: RateLimitDefinition): string {
  return `${id}|${JSON.stringify(p)}`;
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
