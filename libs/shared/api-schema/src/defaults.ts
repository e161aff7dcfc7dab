import { ApiDefinitionSchema, type ApiDefinition } from './api-definition.schema.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function normalized(input: unknown): ApiDefinition {
  return ApiDefinitionSchema.parse(input);
}

const SMALLEST = { name: 'defaults', basePath: '/', upstream: { targets: [{ url: 'http://defaults' }] } };
const smallest = normalized(SMALLEST);
const checked = normalized({ ...SMALLEST, upstream: { ...SMALLEST.upstream, healthCheck: {} } });

/**
 * The defaults the schema fills in, read back from the schema itself (never a second
 * copy): what a block left out, or given as `{}`, becomes. Derived defaults (documented
 * in the schema: `totalMs` follows `requestMs`, …) show their values for these defaults.
 */
export const API_DEFAULTS = deepFreeze({
  stripBasePath: smallest.stripBasePath,
  weight: smallest.upstream.targets[0]!.weight,
  timeouts: smallest.upstream.timeouts,
  loadBalancing: smallest.upstream.loadBalancing,
  retries: smallest.upstream.retries,
  /** Used when `healthCheck` is an object; absent or `null` means no active checks. */
  healthCheck: checked.upstream.healthCheck!,
  outlierDetection: smallest.upstream.outlierDetection!,
  circuitBreaker: smallest.upstream.circuitBreaker!,
  buffering: smallest.upstream.buffering,
  policies: smallest.policies,
});
