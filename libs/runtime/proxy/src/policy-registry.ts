import { JwksCacheRegistry } from '@gw/auth';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { MemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from '@gw/idempotency';
import { silentLogger, type Logger } from '@gw/logging';
import { RateLimiter } from '@gw/rate-limit';
import type { Route, RouteTable } from '@gw/routing';
import type { SharedRedis } from '@gw/shared-state';
import type { SnapshotContent, SnapshotRateLimit } from '@gw/config-contract';
import { ApiPolicies } from './api-policies.js';
import type { PolicyEvents } from './policy-events.js';

export interface PolicyRegistryOptions {
  /**
   * The runtime's Redis connection (`REDIS_URL`), with `RATE_LIMIT_SCRIPTS` and
   * `IDEMPOTENCY_SCRIPTS` registered. Without it, global limits count in this runtime and
   * idempotency keys live in its memory.
   */
  redis?: SharedRedis | undefined;
  logger?: Logger;
  events?: PolicyEvents;
  /** Longest wait for Redis per rate-limit decision. Default 100 ms. */
  decisionTimeoutMs?: number;
}

/** What the proxy handler asks for each matched route. */
export interface PolicyLookup {
  forRoute(route: Route): ApiPolicies | undefined;
}

/**
 * Every API's policies for the routing table in use. `prepare` builds them for a new
 * table before it is swapped in (a failure refuses the snapshot); the proxy looks them up
 * by the matched `Route` object, so a request always runs the policies of the table it
 * was routed with, even across a swap.
 *
 * Kept for the runtime's lifetime: the JWKS caches (a redeploy does not refetch every key
 * set), the idempotency store, and each rate limiter whose id and settings did not change
 * (its local counts, used for local scope and while failing open, survive redeploys).
 */
export class PolicyRegistry implements PolicyLookup {
  readonly jwks: JwksCacheRegistry;
  readonly idempotencyStore: IdempotencyStore;
  readonly #redis: SharedRedis | undefined;
  readonly #logger: Logger;
  readonly #events: PolicyEvents;
  readonly #decisionTimeoutMs: number;
  #byRoute = new WeakMap<Route, ApiPolicies>();
  #limiters = new Map<string, RateLimiter>();

  constructor(options: PolicyRegistryOptions = {}) {
    this.#redis = options.redis;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'policies' });
    this.#events = options.events ?? {};
    this.#decisionTimeoutMs = options.decisionTimeoutMs ?? 100;
    this.jwks = new JwksCacheRegistry({ logger: this.#logger });
    this.idempotencyStore = this.#redis ? new RedisIdempotencyStore(this.#redis) : new MemoryIdempotencyStore();
  }

  /** Whether policies count and claim in Redis (shared by every runtime) or locally. */
  get mode(): 'redis' | 'local' {
    return this.#redis ? 'redis' : 'local';
  }

  /**
   * Builds the policies of every API of `table` (built from `content`). Throws
   * `GW_SNAPSHOT_INVALID` naming the API and block when one cannot be built; then
   * nothing changes. Call it before the table is swapped in.
   */
  prepare(table: RouteTable, content: SnapshotContent): void {
    const apis = new Map(content.apis.map((a) => [a.name, a]));
    const previous = this.#limiters;
    const next = new Map<string, RateLimiter>();
    const built: [Route, ApiPolicies][] = [];
    const deps = {
      jwks: this.jwks,
      idempotencyStore: this.idempotencyStore,
      events: this.#events,
      logger: this.#logger,
      limiter: (id: string, api: string, policy: SnapshotRateLimit) => {
        const key = limiterKey(id, policy);
        const limiter = next.get(key) ?? previous.get(key) ?? this.#newLimiter(id, api, policy);
        next.set(key, limiter);
        return limiter;
      },
    };
    for (const route of table.routes) {
      const api = apis.get(route.name);
      if (api === undefined) throw new GatewayError(ErrorCodes.GW_SNAPSHOT_INVALID, `apis[${route.name}]: no policies for a routed API`);
      built.push([route, new ApiPolicies(api, deps)]);
    }
    for (const [route, policies] of built) this.#byRoute.set(route, policies);
    this.#limiters = next;
    // JWKS documents are fetched now, so the first request does not wait for them.
    for (const [, policies] of built) void policies.auth?.prefetch();
  }

  forRoute(route: Route): ApiPolicies | undefined {
    return this.#byRoute.get(route);
  }

  #newLimiter(id: string, api: string, policy: SnapshotRateLimit): RateLimiter {
    const events = this.#events;
    return new RateLimiter(
      { name: id, limit: policy.limit, windowMs: policy.windowMs, burst: policy.burst, scope: policy.scope, failureMode: policy.failureMode, key: policy.key.by === 'header' ? { by: 'header', name: policy.key.name } : { by: policy.key.by } },
      {
        redis: this.#redis,
        decisionTimeoutMs: this.#decisionTimeoutMs,
        logger: this.#logger,
        metrics: {
          decision: (name, outcome, source) => events.rateLimitDecision?.(api, name, outcome, source),
          redisFailure: (name, failureMode) => events.rateLimitRedisFailure?.(api, name, failureMode),
        },
      },
    );
  }
}

/** A limiter is reused only for the same id with the same settings. */
function limiterKey(id: string, p: SnapshotRateLimit): string {
  return `${id}|${p.limit}|${p.windowMs}|${p.burst}|${p.scope}|${p.failureMode}|${p.key.by}:${p.key.name}`;
}
