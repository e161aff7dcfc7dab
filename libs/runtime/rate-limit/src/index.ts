export { RateLimiter, type RateLimitDecision, type RateLimiterDeps } from './rate-limiter.js';
export { resolveRateLimitPolicy, type ResolvedRateLimitPolicy } from './policy.js';
export { rateLimitKey, type RateLimitRequestFacts } from './rate-limit-key.js';
export { rateLimitOutcome, rateLimitPolicyItem, rateLimitItem, type RateLimitOutcome } from './rate-limit-headers.js';
export { RATE_LIMIT_SCRIPTS, GCRA_SCRIPT } from './gcra-script.js';
export { gcraStep, type GcraParams, type GcraResult } from './gcra.js';
export { LocalLimiter } from './local-limiter.js';
export type { RateLimitMetrics, DecisionSource, DecisionOutcome } from './rate-limit-metrics.js';
