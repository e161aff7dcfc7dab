import type { RetryCondition } from '@gw/api-schema';

/** RFC 9110 §9.2.2: methods whose repetition has the same effect as one request. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Whether a request may be sent more than once at all: an idempotent method, or any
 * method with an `Idempotency-Key` header (the client promises the upstream deduplicates).
 */
export function isRetryableRequest(method: string | undefined, idempotencyKey: string | string[] | undefined): boolean {
  if (method !== undefined && IDEMPOTENT_METHODS.has(method)) return true;
  return typeof idempotencyKey === 'string' ? idempotencyKey.trim() !== '' : idempotencyKey !== undefined && idempotencyKey.length > 0;
}

/** How a try failed before any response header arrived. */
export type TryFailure = 'connect-failure' | 'reset' | 'timeout';

/**
 * `retries.on`, parsed once per list: upstreams whose definitions share the list (the
 * runtime shares equal definition blocks between APIs) share one, as it never changes.
 */
const parsed = new WeakMap<readonly RetryCondition[], RetryConditions>();

/** `retries.on`, parsed (shared between upstreams with the very same list). */
export function retryConditionsOf(on: readonly RetryCondition[]): RetryConditions {
  let conditions = parsed.get(on);
  if (conditions === undefined) parsed.set(on, (conditions = new RetryConditions(on)));
  return conditions;
}

/** `retries.on`, parsed. */
export class RetryConditions {
  readonly connectFailure: boolean;
  readonly reset: boolean;
  readonly timeout: boolean;
  readonly #statuses: ReadonlySet<number>;

  constructor(on: readonly RetryCondition[]) {
    this.connectFailure = on.includes('connect-failure');
    this.reset = on.includes('reset');
    this.timeout = on.includes('timeout');
    const statuses = new Set<number>();
    for (const c of on) {
      const n = Number(c);
      if (/^5\d\d$/.test(c) && Number.isInteger(n)) statuses.add(n);
    }
    this.#statuses = statuses;
  }

  /** Does `retries.on` cover this failure? */
  failure(kind: TryFailure): boolean {
    return kind === 'connect-failure' ? this.connectFailure : kind === 'reset' ? this.reset : this.timeout;
  }

  /** Does `retries.on` cover this upstream response status? */
  status(status: number): boolean {
    return this.#statuses.has(status);
  }
}
