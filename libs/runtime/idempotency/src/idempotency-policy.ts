import type { IdempotencyPolicy } from '@gw/api-schema';

/**
 * An API's `policies.idempotency` block as the guard runs it: the schema's policy as it is
 * (every default filled in; `lockTtlMs` above the upstream's total timeout and at most
 * `ttlMs`), with the methods as a set.
 */
export type ResolvedIdempotencyPolicy = Readonly<Omit<IdempotencyPolicy, 'methods'>> & {
  /** The covered methods, upper-case. */
  readonly methods: ReadonlySet<string>;
};

/** The policy in the form the guard looks up; no defaults, no checks: the schema has done both. */
export function resolveIdempotencyPolicy(policy: IdempotencyPolicy): ResolvedIdempotencyPolicy {
  return Object.freeze({ ...policy, methods: new Set(policy.methods) });
}
