import { createHash } from 'node:crypto';
import type { RateLimitDefinition } from '@gw/api-schema';
import { lazyChild, silentLogger, type Logger } from '@gw/logging';
import type { SharedRedis } from '@gw/shared-state';
import { GCRA_SCRIPT, parseGcraReply } from './gcra-script.js';
import { LocalLimiter } from './local-limiter.js';
import { resolveRateLimitPolicy, type ResolvedRateLimitPolicy } from './policy.js';
import type { DecisionSource, RateLimitMetrics } from './rate-limit-metrics.js';

export interface RateLimitDecision {
  allowed: boolean;
  /** The policy's quota per window. */
  limit: number;
  /** Requests that would still pass right now. */
  remaining: number;
  /** Until the quota is whole again. */
  resetMs: number;
  /** 0 when allowed; else how long until a retry can pass. */
  retryAfterMs: number;
  source: DecisionSource;
  /** True when no decision could be made (Redis failed, policy fails closed): answer 503. */
  unavailable: boolean;
}

export interface RateLimiterDeps {
  /** The runtime's Redis connection (with `RATE_LIMIT_SCRIPTS` registered); without it every policy counts locally. */
  redis?: SharedRedis | undefined;
  /** Longest wait for Redis per decision. Default 100 ms. */
  decisionTimeoutMs?: number;
  metrics?: RateLimitMetrics;
  logger?: Logger;
  /** Monotonic milliseconds for the local counts. Default `performance.now()`. */
  now?: () => number;
  /** Bound on keys counted locally per policy. Default 100 000. */
  localMaxKeys?: number;
}

/**
 * The decisions of one rate limit: a `rateLimits` entry of the API definition as the
 * schema normalizes it, with `name` set to the id the runtime counts under
 * (`{ ...definition, name: '<api>/<route>/<name>' }`, see `ResolvedRateLimitPolicy`).
 * Global limits run the GCRA script in Redis (one atomic step, shared by every runtime);
 * local limits, and global ones while Redis is unavailable with `failureMode: open`, run
 * the same algorithm in memory. The wait for Redis is bounded by `decisionTimeoutMs`, and
 * once the connection is known to be unavailable no decision waits at all; Redis is used
 * again as soon as it is back.
 */
export class RateLimiter {
  readonly policy: ResolvedRateLimitPolicy;
  private readonly redis: SharedRedis | undefined;
  private readonly local: LocalLimiter;
  private readonly timeoutMs: number;
  private readonly metrics: RateLimitMetrics;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly scriptArgs: [string, string];
  private degraded = false;
  private readonly counters = { redis: 0, local: 0, fallback: 0, unavailable: 0, limited: 0 };

  constructor(definition: RateLimitDefinition, deps: RateLimiterDeps = {}) {
    this.policy = resolveRateLimitPolicy(definition);
    this.redis = this.policy.scope === 'global' ? deps.redis : undefined;
    this.local = new LocalLimiter(this.policy, deps.localMaxKeys);
    this.timeoutMs = deps.decisionTimeoutMs ?? 100;
    this.metrics = deps.metrics ?? {};
    this.logger = lazyChild(deps.logger ?? silentLogger, { component: 'rate-limit', policy: this.policy.name }); // made on first log: thousands are built per config
    this.now = deps.now ?? (() => performance.now());
    this.scriptArgs = [String(this.policy.emissionIntervalUs), String(this.policy.toleranceUs)];
  }

  /** Counts one request (of `cost`, default 1) under `key` (see `rateLimitKey`). Never throws. */
  async decide(key: string, cost = 1): Promise<RateLimitDecision> {
    if (!Number.isInteger(cost) || cost < 1) cost = 1;
    const redis = this.redis;
    if (!redis) return this.finish(this.decideLocally(key, cost, 'local'));
    if (redis.available) {
      try {
        const reply = parseGcraReply(await redis.evalScript(GCRA_SCRIPT, [this.redisKey(key)], [...this.scriptArgs, cost], { timeoutMs: this.timeoutMs }));
        if (this.degraded) {
          this.degraded = false;
          this.logger.info({}, 'rate limit counting in Redis again');
        }
        return this.finish({ ...reply, limit: this.policy.limit, source: 'redis', unavailable: false });
      } catch (err) {
        this.noteFailure(err);
      }
    } else {
      this.noteFailure(undefined);
    }
    if (this.policy.failureMode === 'open') return this.finish(this.decideLocally(key, cost, 'fallback'));
    return this.finish({ allowed: false, limit: this.policy.limit, remaining: 0, resetMs: 0, retryAfterMs: 1000, source: 'none', unavailable: true });
  }

  /** Decisions so far, by where they were made, plus how many were limits and 503s. */
  stats(): { redis: number; local: number; fallback: number; unavailable: number; limited: number } {
    return { ...this.counters };
  }

  private decideLocally(key: string, cost: number, source: 'local' | 'fallback'): RateLimitDecision {
    const r = this.local.take(key, this.now() * 1000, cost);
    return {
      allowed: r.allowed,
      limit: this.policy.limit,
      remaining: r.remaining,
      resetMs: Math.ceil(r.resetUs / 1000),
      retryAfterMs: Math.ceil(r.retryAfterUs / 1000),
      source,
      unavailable: false,
    };
  }

  private finish(d: RateLimitDecision): RateLimitDecision {
    if (d.source === 'none') this.counters.unavailable++;
    else this.counters[d.source]++;
    if (!d.allowed && !d.unavailable) this.counters.limited++;
    try {
      this.metrics.decision?.(this.policy.name, d.unavailable ? 'unavailable' : d.allowed ? 'allowed' : 'limited', d.source);
    } catch {
      // metrics never break a request
    }
    return d;
  }

  private noteFailure(err: unknown): void {
    try {
      this.metrics.redisFailure?.(this.policy.name, this.policy.failureMode);
    } catch {
      // as above
    }
    if (this.degraded) return;
    this.degraded = true;
    const message = err instanceof Error ? err.message : 'shared state unavailable';
    this.logger.warn({ failureMode: this.policy.failureMode, reason: message }, this.policy.failureMode === 'open' ? 'rate limit falling back to local counting' : 'rate limit failing closed');
  }

  /** Bounded, injection-free Redis keys: the counted value is hashed. */
  private redisKey(key: string): string {
    return `gw:rl:${this.policy.name}:${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;
  }
}
