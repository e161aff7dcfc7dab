import type { RateLimitDefinition } from '@gw/api-schema';

/**
 * One rate limit as the limiter runs it: the schema's definition as it is (every default
 * filled in: `burst`, `scope`, `failureMode`, `key`), plus the GCRA parameters it implies.
 * `name` is the id the runtime counts under, which keys Redis and names the limit in the
 * `RateLimit` headers: `<api>/<name>` for an API's limit, `<api>/<route>/<name>` for a
 * route's (the runtime passes `{ ...definition, name: id }`).
 */
export type ResolvedRateLimitPolicy = Readonly<RateLimitDefinition> & {
  /** GCRA emission interval T = window / limit, the time one request "costs", in whole µs (≥ 1). */
  readonly emissionIntervalUs: number;
  /** GCRA delay tolerance τ = burst × T (µs): how far ahead of now the schedule may run. */
  readonly toleranceUs: number;
};

/** The GCRA parameters of a rate limit; no defaults, no checks: the schema has done both. */
export function resolveRateLimitPolicy(definition: RateLimitDefinition): ResolvedRateLimitPolicy {
  // Whole microseconds keep the arithmetic exact (rate error < 1 µs per request; at most 1e6 requests/s per key).
  const emissionIntervalUs = Math.max(1, Math.round((definition.windowMs * 1000) / definition.limit));
  return Object.freeze({ ...definition, key: Object.freeze({ ...definition.key }), emissionIntervalUs, toleranceUs: definition.burst * emissionIntervalUs });
}
