import type { ApiDefinition, ApiDefinitionInput, Policies, TargetDefinition, UpstreamDefinition } from '../api-definition.schema.js';
import { API_DEFAULTS } from '../defaults.js';
import { validateApiDefinition } from '../validate-api-definition.js';

/** A target URL, or a target with some fields given (weight 1 and no zone otherwise). */
export type TestTarget = string | (Partial<TargetDefinition> & { url: string });

/**
 * A valid upstream for tests with every resilience feature off: round robin, no zone
 * preference, no retries, no health checks, no outlier detection, no breaker, short
 * timeouts (connect 1 s, request 5 s, total 10 s). Override what a test is about.
 */
export function plainUpstream(targets: readonly TestTarget[], overrides: Partial<UpstreamDefinition> = {}): UpstreamDefinition {
  return {
    targets: targets.map((t) => (typeof t === 'string' ? { url: t, weight: 1, zone: null } : { weight: 1, zone: null, ...t })),
    loadBalancing: { algorithm: 'round-robin', hashOn: null, zoneAware: false, minZoneHealthyPercent: 0 },
    timeouts: { ...API_DEFAULTS.timeouts, connectMs: 1_000, requestMs: 5_000, totalMs: 10_000 },
    retries: { ...API_DEFAULTS.retries, attempts: 0, on: [] },
    healthCheck: null,
    outlierDetection: null,
    circuitBreaker: null,
    buffering: { ...API_DEFAULTS.buffering },
    hostRewrite: null,
    ...overrides,
  };
}

/** A valid API for tests: any host, base path stripped, no routes, a `plainUpstream`, every policy off. */
export function plainApi(name: string, basePath: string, targets: readonly TestTarget[], overrides: Partial<ApiDefinition> = {}): ApiDefinition {
  return {
    name,
    hosts: [],
    basePath,
    stripBasePath: true,
    routes: [],
    upstream: plainUpstream(targets),
    policies: structuredClone(API_DEFAULTS.policies) as ApiDefinition['policies'],
    ...overrides,
  };
}

/**
 * A `policies` block as the schema normalizes it (every default filled in, `null` for a
 * policy that is off): what the runtime's policy libraries take. Throws with the problems
 * when the input is invalid, so a test can never run on a config the gateway would refuse.
 */
export function policiesOf(input: NonNullable<ApiDefinitionInput['policies']>): Policies {
  const result = validateApiDefinition({ name: 'test', basePath: '/', upstream: { targets: [{ url: 'http://test.internal' }] }, policies: input });
  if (!result.ok) throw new Error(`invalid policies for a test: ${JSON.stringify(result.problems)}`);
  return result.value.policies;
}

/** One definition through the real schema, for tests that start from what an operator writes. */
export function definitionOf(input: ApiDefinitionInput): ApiDefinition {
  const result = validateApiDefinition(input);
  if (!result.ok) throw new Error(`invalid API definition for a test: ${JSON.stringify(result.problems)}`);
  return result.value;
}
