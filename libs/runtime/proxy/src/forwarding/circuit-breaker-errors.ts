import { ErrorCodes } from '@gw/errors';
import type { ProxyError } from '../error-response.js';

/** The breaker is open (or half-open with its trial requests out). */
export const CIRCUIT_OPEN: ProxyError = Object.freeze({
  status: 503,
  code: ErrorCodes.GW_CIRCUIT_OPEN,
  message: "the upstream's circuit breaker is open",
});

/** Every slot is taken and no request may wait (or the wait queue is full). */
export const CIRCUIT_FULL: ProxyError = Object.freeze({
  status: 503,
  code: ErrorCodes.GW_CIRCUIT_OPEN,
  message: 'the upstream is at its concurrency limit',
});

/** The request waited for a slot until its total timeout. */
export const CIRCUIT_WAIT_EXPIRED: ProxyError = Object.freeze({
  status: 503,
  code: ErrorCodes.GW_CIRCUIT_OPEN,
  message: 'the upstream stayed at its concurrency limit for the whole timeout',
});
