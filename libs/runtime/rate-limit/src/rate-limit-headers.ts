import { ErrorCodes, type ErrorCode } from '@gw/errors';
import type { ResolvedRateLimitPolicy } from './policy.js';
import type { RateLimitDecision } from './rate-limiter.js';

/**
 * Response headers per draft-ietf-httpapi-ratelimit-headers-09/-10 (the two-field form
 * that replaced RateLimit-Limit/-Remaining/-Reset):
 *
 *   RateLimit-Policy: "orders";q=100;w=60      quota q per window w (seconds)
 *   RateLimit: "orders";r=42;t=12              r left now; t seconds until the quota is whole again
 *
 * Both are Structured Field lists, so the items of an API policy and a route policy are
 * joined with ", ". A 429 adds `Retry-After` (whole seconds, at least 1).
 */
export function rateLimitPolicyItem(policy: ResolvedRateLimitPolicy): string {
  return `${sfString(policy.name)};q=${policy.limit};w=${Math.max(1, Math.ceil(policy.windowMs / 1000))}`;
}

export function rateLimitItem(policy: ResolvedRateLimitPolicy, decision: RateLimitDecision): string {
  return `${sfString(policy.name)};r=${Math.max(0, decision.remaining)};t=${Math.max(0, Math.ceil(decision.resetMs / 1000))}`;
}

export interface RateLimitOutcome {
  /** Undefined when the request may go on; the headers still belong on its response. */
  reject: { status: 429 | 503; code: ErrorCode; message: string } | undefined;
  headers: Record<string, string>;
}

/**
 * Combines the decisions of every policy that applied to one request: the request goes on
 * only if all allowed it. A fail-closed policy that could not decide wins (503); else
 * any limit reached gives 429 with the longest Retry-After.
 */
export function rateLimitOutcome(entries: readonly { policy: ResolvedRateLimitPolicy; decision: RateLimitDecision }[]): RateLimitOutcome {
  const decided = entries.filter((e) => !e.decision.unavailable);
  const headers: Record<string, string> = {};
  if (decided.length > 0) {
    headers['ratelimit-policy'] = decided.map((e) => rateLimitPolicyItem(e.policy)).join(', ');
    headers['ratelimit'] = decided.map((e) => rateLimitItem(e.policy, e.decision)).join(', ');
  }
  const unavailable = entries.find((e) => e.decision.unavailable);
  if (unavailable) {
    headers['retry-after'] = '1';
    return {
      reject: { status: 503, code: ErrorCodes.GW_RATE_LIMIT_UNAVAILABLE, message: `rate limit ${unavailable.policy.name} cannot be checked right now` },
      headers,
    };
  }
  const limited = decided.filter((e) => !e.decision.allowed);
  if (limited.length > 0) {
    const waitMs = Math.max(...limited.map((e) => e.decision.retryAfterMs));
    headers['retry-after'] = String(Math.max(1, Math.ceil(waitMs / 1000)));
    return { reject: { status: 429, code: ErrorCodes.GW_RATE_LIMITED, message: `rate limit ${limited[0]!.policy.name} exceeded` }, headers };
  }
  return { reject: undefined, headers };
}

/** RFC 8941 sf-string (policy names are already restricted to safe characters). */
function sfString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
