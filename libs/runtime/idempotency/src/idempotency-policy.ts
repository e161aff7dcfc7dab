import { ErrorCodes, GatewayError } from '@gw/errors';

/** An API's idempotency-key policy, as the API definition states it. */
export interface IdempotencyPolicy {
  /** Methods the policy covers. Default `["POST", "PATCH"]`. */
  methods?: string[];
  /** Refuse a covered request without a key (400). Default false: such requests pass unguarded. */
  required?: boolean;
  /** Default `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header). */
  headerName?: string;
  /** How long a completed response is kept for replays. Default 24 h. */
  ttlMs?: number;
  /**
   * How long an in-flight claim lives if its request never completes (the runtime died
   * mid-request). Must exceed the upstream's total timeout, or a slow first request could
   * lose its claim and a repeat run again. Default 120 s.
   */
  lockTtlMs?: number;
  /** Largest response body kept for replay; larger ones leave a "not stored" marker. Default 1 MiB. */
  maxResponseBytes?: number;
}

export interface ResolvedIdempotencyPolicy {
  readonly methods: ReadonlySet<string>;
  readonly required: boolean;
  readonly headerName: string;
  readonly ttlMs: number;
  readonly lockTtlMs: number;
  readonly maxResponseBytes: number;
}

const HEADER_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const METHOD_RE = /^[A-Z]{1,20}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Fills defaults and checks invariants; throws `GW_VALIDATION` naming the field. */
export function resolveIdempotencyPolicy(policy: IdempotencyPolicy = {}): ResolvedIdempotencyPolicy {
  const fail = (field: string, why: string): never => {
    throw new GatewayError(ErrorCodes.GW_VALIDATION, `idempotency policy: ${field} ${why}`);
  };
  const methods = (policy.methods ?? ['POST', 'PATCH']).map((m) => m.toUpperCase());
  if (methods.length === 0) fail('methods', 'must name at least one method');
  for (const m of methods) {
    if (!METHOD_RE.test(m)) fail('methods', `"${m}" is not an HTTP method`);
    if (SAFE_METHODS.has(m)) fail('methods', `${m} is safe already; idempotency keys are for unsafe methods`);
  }
  const headerName = (policy.headerName ?? 'idempotency-key').toLowerCase();
  if (!HEADER_RE.test(headerName)) fail('headerName', 'must be an HTTP header name');
  const ttlMs = policy.ttlMs ?? 86_400_000;
  if (!Number.isInteger(ttlMs) || ttlMs < 1000 || ttlMs > 30 * 86_400_000) fail('ttlMs', 'must be an integer 1 s-30 days');
  const lockTtlMs = policy.lockTtlMs ?? 120_000;
  if (!Number.isInteger(lockTtlMs) || lockTtlMs < 100 || lockTtlMs > ttlMs) fail('lockTtlMs', 'must be an integer from 100 ms up to ttlMs');
  const maxResponseBytes = policy.maxResponseBytes ?? 1_048_576;
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes < 0 || maxResponseBytes > 16 * 1_048_576) fail('maxResponseBytes', 'must be an integer 0-16 MiB');
  return Object.freeze({ methods: new Set(methods), required: policy.required ?? false, headerName, ttlMs, lockTtlMs, maxResponseBytes });
}
