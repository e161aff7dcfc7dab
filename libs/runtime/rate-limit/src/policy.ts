import { ErrorCodes, GatewayError } from '@gw/errors';

/** What a request is counted against. A missing header or an anonymous request falls back to the client IP. */
export type RateLimitKeySource = { by: 'ip' } | { by: 'header'; name: string } | { by: 'consumer' };

/** One rate-limit policy of an API (or of one route), as the API definition states it. */
export interface RateLimitPolicy {
  /** Stable id: part of the Redis key and of the `RateLimit-Policy` header, e.g. `orders` or `orders/create`. */
  name: string;
  /** Requests allowed per window, sustained. */
  limit: number;
  windowMs: number;
  /** Requests allowed at once after a quiet period (the bucket size). Default: `limit`. */
  burst?: number;
  /** `global`: one count in Redis shared by every runtime in every zone; `local`: each runtime counts alone. Default `global`. */
  scope?: 'global' | 'local';
  /** When Redis is down or slow: `open` counts locally instead, `closed` answers 503. Default `open`. */
  failureMode?: 'open' | 'closed';
  /** Default `{ by: 'ip' }`. */
  key?: RateLimitKeySource;
}

export interface ResolvedRateLimitPolicy {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
  readonly scope: 'global' | 'local';
  readonly failureMode: 'open' | 'closed';
  readonly key: RateLimitKeySource;
  /** GCRA emission interval T = window / limit, the time one request "costs", in whole µs (≥ 1). */
  readonly emissionIntervalUs: number;
  /** GCRA delay tolerance τ = burst × T (µs): how far ahead of now the schedule may run. */
  readonly toleranceUs: number;
}

const DAY_MS = 86_400_000;
const NAME_RE = /^[A-Za-z0-9._:/-]{1,128}$/;
const HEADER_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/** Fills defaults and checks the invariants; throws `GW_VALIDATION` naming the field. */
export function resolveRateLimitPolicy(policy: RateLimitPolicy): ResolvedRateLimitPolicy {
  const fail = (field: string, why: string): never => {
    throw new GatewayError(ErrorCodes.GW_VALIDATION, `rate-limit policy ${JSON.stringify(policy.name)}: ${field} ${why}`);
  };
  if (!NAME_RE.test(policy.name)) fail('name', 'must be 1-128 characters of [A-Za-z0-9._:/-]');
  if (!Number.isInteger(policy.limit) || policy.limit < 1 || policy.limit > 1_000_000_000) fail('limit', 'must be an integer 1-1e9');
  if (!Number.isInteger(policy.windowMs) || policy.windowMs < 1 || policy.windowMs > DAY_MS) fail('windowMs', 'must be an integer 1 ms-1 day');
  const burst = policy.burst ?? policy.limit;
  if (!Number.isInteger(burst) || burst < 1 || burst > 1_000_000_000) fail('burst', 'must be an integer 1-1e9');
  const key = policy.key ?? { by: 'ip' };
  if (key.by === 'header' && !HEADER_RE.test(key.name)) fail('key.name', 'must be an HTTP header name');
  if (!['ip', 'header', 'consumer'].includes(key.by)) fail('key.by', 'must be ip, header or consumer');
  const scope = policy.scope ?? 'global';
  if (scope !== 'global' && scope !== 'local') fail('scope', 'must be global or local');
  const failureMode = policy.failureMode ?? 'open';
  if (failureMode !== 'open' && failureMode !== 'closed') fail('failureMode', 'must be open or closed');
  // Whole microseconds keep the arithmetic exact (rate error < 1 µs per request; at most 1e6 requests/s per key).
  const emissionIntervalUs = Math.max(1, Math.round((policy.windowMs * 1000) / policy.limit));
  return Object.freeze({
    name: policy.name,
    limit: policy.limit,
    windowMs: policy.windowMs,
    burst,
    scope,
    failureMode,
    key: Object.freeze(key.by === 'header' ? { by: 'header' as const, name: key.name.toLowerCase() } : { ...key }),
    emissionIntervalUs,
    toleranceUs: burst * emissionIntervalUs,
  });
}
