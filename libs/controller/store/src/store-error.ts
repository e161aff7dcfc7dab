import { ErrorCodes, GatewayError, isGatewayError } from '@gw/errors';
import { DatabaseDeadlineError } from './database-deadline.js';

/** Socket-level error codes that mean "the database cannot be reached right now". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/**
 * SQLSTATEs that say the server is unreachable, going away or overloaded, not that the
 * request was wrong: class 08 (connection exception), 57P01-57P03 (admin/crash shutdown,
 * cannot connect now) and 53300 (too many connections). Not 57014 (statement timeout):
 * the server answered, it cancelled a statement that ran past the pool's budget (load, or
 * a wait for other writers' locks); see isStatementTimeoutError.
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/**
 * True when `err` (or its cause chain) is a statement the server cancelled at the pool's
 * statement timeout (SQLSTATE 57014). The database is up, it answered; issue 16 saw
 * writes answered "database unavailable" while PostgreSQL was healthy and a busy machine
 * or a lock wait made one statement exceed the budget.
 */
export function isStatementTimeoutError(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== 'object') return false;
  if ((err as { code?: unknown }).code === '57014') return true;
  return isStatementTimeoutError((err as { cause?: unknown }).cause, depth + 1);
}

/** Messages node-postgres uses for connection failures that carry no code. */
const UNAVAILABLE_MESSAGES = [
  'connection terminated',
  'connection timeout',
  'client has encountered a connection error',
  'client was closed and is not queryable',
];

/** True when `err` (or anything in its cause chain or AggregateError list) is a connection-level failure. */
export function isDatabaseUnavailableError(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== 'object') return false;
  if (isGatewayError(err)) return err.code === ErrorCodes.GW_DATABASE_UNAVAILABLE;
  // A client-side deadline: the server did not answer in time (frozen, or the path to it is dead).
  if (err instanceof DatabaseDeadlineError) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)))) {
    return true;
  }
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string') {
    const lower = message.toLowerCase();
    if (UNAVAILABLE_MESSAGES.some((m) => lower.includes(m))) return true;
  }
  // Node reports a failed multi-address connect (happy eyeballs) as an AggregateError.
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailableError(e, depth + 1))) return true;
  return isDatabaseUnavailableError((err as { cause?: unknown }).cause, depth + 1);
}

/**
 * node-postgres's message when a checkout waited `connectionTimeoutMillis` in the queue of
 * a FULL pool: every connection was busy, none failed. (A connect attempt that times out
 * is "Connection terminated due to connection timeout" instead, caught above.)
 */
const POOL_WAIT_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

/** True when `err` (or its cause chain) is a pool checkout that timed out behind busy connections. */
export function isPoolBusyError(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== 'object') return false;
  if (isGatewayError(err)) return err.code === ErrorCodes.GW_CONTROLLER_BUSY;
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && message.toLowerCase() === POOL_WAIT_TIMEOUT_MESSAGE) return true;
  return isPoolBusyError((err as { cause?: unknown }).cause, depth + 1);
}

/**
 * Maps anything a store operation threw to a GatewayError: GatewayErrors pass through,
 * a pool wait that timed out behind busy connections and a statement cancelled at the
 * statement timeout are GW_CONTROLLER_BUSY (the database answers; this replica or the
 * database is saturated), connection-level failures become
 * GW_DATABASE_UNAVAILABLE, the rest GW_INTERNAL.
 * The original error is kept as `cause` for logs.
 */
export function toStoreError(err: unknown, operation = 'database operation'): GatewayError {
  if (isGatewayError(err)) return err;
  if (isPoolBusyError(err)) {
    return new GatewayError(ErrorCodes.GW_CONTROLLER_BUSY, `Every database connection of this controller is busy (${operation}).`, { cause: err });
  }
  if (isStatementTimeoutError(err)) {
    return new GatewayError(ErrorCodes.GW_CONTROLLER_BUSY, `A database statement ran past the statement timeout (${operation}): the database answers, but it or its locks were too busy.`, { cause: err });
  }
  if (isDatabaseUnavailableError(err)) {
    return new GatewayError(ErrorCodes.GW_DATABASE_UNAVAILABLE, `The database is unavailable (${operation}).`, { cause: err });
  }
  return new GatewayError(ErrorCodes.GW_INTERNAL, `The ${operation} failed unexpectedly.`, { cause: err });
}

/** Runs one store operation, mapping whatever it throws with `toStoreError` (the one wrapper every PostgreSQL store uses). */
export async function runStoreOperation<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err, operation);
  }
}
