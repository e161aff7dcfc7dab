/**
 * The catalogue of stable error codes. Codes never change meaning once released;
 * HTTP or gRPC statuses are mapped only at the edge (deploy API, proxy, config stream).
 */
export const ErrorCodes = {
  // Deploy API
  GW_VALIDATION: 'GW_VALIDATION',
  GW_BODY_TOO_LARGE: 'GW_BODY_TOO_LARGE',
  GW_BAD_JSON: 'GW_BAD_JSON',
  GW_UNSUPPORTED_MEDIA_TYPE: 'GW_UNSUPPORTED_MEDIA_TYPE',
  GW_UNAUTHORIZED: 'GW_UNAUTHORIZED',
  GW_API_NOT_FOUND: 'GW_API_NOT_FOUND',
  GW_NAME_MISMATCH: 'GW_NAME_MISMATCH',
  GW_PRECONDITION_FAILED: 'GW_PRECONDITION_FAILED',
  GW_NOT_FOUND: 'GW_NOT_FOUND',
  GW_METHOD_NOT_ALLOWED: 'GW_METHOD_NOT_ALLOWED',
  GW_DATABASE_UNAVAILABLE: 'GW_DATABASE_UNAVAILABLE',
  GW_INTERNAL: 'GW_INTERNAL',
  // Snapshots and the config stream
  GW_SNAPSHOT_INVALID: 'GW_SNAPSHOT_INVALID',
  GW_SNAPSHOT_HASH_MISMATCH: 'GW_SNAPSHOT_HASH_MISMATCH',
  // Runtime data plane
  GW_NO_ROUTE: 'GW_NO_ROUTE',
  GW_NOT_READY: 'GW_NOT_READY',
  GW_UPSTREAM_UNREACHABLE: 'GW_UPSTREAM_UNREACHABLE',
  GW_UPSTREAM_TIMEOUT: 'GW_UPSTREAM_TIMEOUT',
  GW_BAD_REQUEST: 'GW_BAD_REQUEST',
  // Configuration of the processes themselves
  GW_CONFIG_ENV: 'GW_CONFIG_ENV',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
