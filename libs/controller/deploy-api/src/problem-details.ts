import type { FieldProblem } from '@gw/api-schema';
import { ErrorCodes, isGatewayError, type ErrorCode } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { getRequestId } from './request-id.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem document as the deploy API sends it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  requestId: string;
  errors?: FieldProblem[];
}

export interface ProblemInit {
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldProblem[];
  headers?: Record<string, string>;
  /** Extension members (RFC 9457 §3.2), e.g. `laggards`; they never replace the standard ones. */
  extensions?: Record<string, unknown>;
}

/** Short, fixed titles per code: RFC 9457 wants the title to stay the same for every occurrence of a type. */
const TITLES: Partial<Record<ErrorCode, string>> = {
  GW_VALIDATION: 'Invalid API definition',
  GW_BAD_JSON: 'Malformed JSON',
  GW_BAD_REQUEST: 'Bad request',
  GW_BODY_TOO_LARGE: 'Request body too large',
  GW_UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  GW_UNAUTHORIZED: 'Unauthorized',
  GW_FORBIDDEN: 'Forbidden',
  GW_CONFLICT: 'Conflict',
  GW_API_NOT_FOUND: 'API not found',
  GW_NOT_FOUND: 'Not found',
  GW_METHOD_NOT_ALLOWED: 'Method not allowed',
  GW_PRECONDITION_FAILED: 'Precondition failed',
  GW_ROUTE_CONFLICT: 'Route conflict',
  GW_DATABASE_UNAVAILABLE: 'Database unavailable',
  GW_CONTROLLER_BUSY: 'Controller busy',
  GW_OUTCOME_UNKNOWN: 'Outcome unknown',
  GW_INTERNAL: 'Internal error',
  GW_WAIT_TIMEOUT: 'Wait timed out',
};

/** Seconds a client should wait before retrying while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** Seconds a client should wait before retrying a replica whose database connections were all busy. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export function problemType(code: ErrorCode): string {
  return `urn:gw:problem:${code.toLowerCase()}`;
}

/** The request path without its query string: queries are never echoed back (they may carry secrets). */
function instanceOf(req: Request): string {
  const url = req.originalUrl || req.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function buildProblem(req: Request, res: Response, init: ProblemInit): ProblemDocument {
  const doc: ProblemDocument = {
    ...init.extensions,
    type: problemType(init.code),
    title: TITLES[init.code] ?? init.code,
    status: init.status,
    detail: init.detail,
    code: init.code,
    instance: instanceOf(req),
    requestId: getRequestId(res),
  };
  if (init.errors !== undefined) doc.errors = init.errors;
  return doc;
}

export function sendProblem(req: Request, res: Response, init: ProblemInit): void {
  const doc = buildProblem(req, res, init);
  res.status(init.status);
  for (const [name, value] of Object.entries(init.headers ?? {})) res.setHeader(name, value);
  // An error is never a cacheable representation of the resource.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
  res.send(JSON.stringify(doc));
}

/** The last handler on a path that does exist: every other method gets 405 with `Allow`. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const allow = allowed.join(', ');
  return (req, res) => {
    sendProblem(req, res, {
      status: 405,
      code: ErrorCodes.GW_METHOD_NOT_ALLOWED,
      detail: `${req.method} is not allowed on this path; allowed: ${allow}.`,
      headers: { Allow: allow },
    });
  };
}

/** The last middleware: no route matched. */
export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    sendProblem(req, res, { status: 404, code: ErrorCodes.GW_NOT_FOUND, detail: 'No such endpoint.' });
  };
}

/** A client error's field problems, when the code that raised it listed them in `details.errors`. */
function fieldProblemsOf(details: Readonly<Record<string, unknown>> | undefined): FieldProblem[] | undefined {
  const errors = details?.['errors'];
  if (!Array.isArray(errors)) return undefined;
  return errors.filter((e): e is FieldProblem => typeof e === 'object' && e !== null && typeof e.path === 'string' && typeof e.message === 'string');
}

/** Statuses for codes that mean the caller's request was refused, not that we failed. */
const CLIENT_ERROR_STATUS: Partial<Record<ErrorCode, number>> = {
  GW_VALIDATION: 400,
  GW_BAD_JSON: 400,
  GW_BAD_REQUEST: 400,
  GW_UNAUTHORIZED: 401,
  GW_FORBIDDEN: 403,
  GW_CONFLICT: 409,
  GW_API_NOT_FOUND: 404,
  GW_NOT_FOUND: 404,
  GW_METHOD_NOT_ALLOWED: 405,
  GW_PRECONDITION_FAILED: 412,
  GW_ROUTE_CONFLICT: 409,
  GW_BODY_TOO_LARGE: 413,
  GW_UNSUPPORTED_MEDIA_TYPE: 415,
};

/**
 * The `type` values body-parser (raw-body) puts on its errors, and what they mean to our
 * callers: our own routes read bodies with `jsonBody`, but `extraRoutes` may use express.json.
 */
const BODY_PARSER_ERRORS: Record<string, { status: number; code: ErrorCode; detail: string }> = {
  'entity.too.large': { status: 413, code: ErrorCodes.GW_BODY_TOO_LARGE, detail: 'The request body is too large.' },
  'entity.parse.failed': { status: 400, code: ErrorCodes.GW_BAD_JSON, detail: 'The request body is not valid JSON.' },
  'entity.verify.failed': { status: 400, code: ErrorCodes.GW_BAD_REQUEST, detail: 'The request body was refused.' },
  'encoding.unsupported': { status: 415, code: ErrorCodes.GW_UNSUPPORTED_MEDIA_TYPE, detail: 'Unsupported Content-Encoding.' },
  'charset.unsupported': { status: 415, code: ErrorCodes.GW_UNSUPPORTED_MEDIA_TYPE, detail: 'Unsupported charset; send UTF-8.' },
  'request.size.invalid': { status: 400, code: ErrorCodes.GW_BAD_REQUEST, detail: 'The request body length does not match Content-Length.' },
  'request.aborted': { status: 400, code: ErrorCodes.GW_BAD_REQUEST, detail: 'The request body was not received completely.' },
};

interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  message?: unknown;
}

/**
 * Turns anything a handler threw into a problem document. Client errors keep their
 * message; server errors get a fixed detail and are logged with the request id, so
 * internals (SQL, hosts, stacks) never reach the caller.
 */
export function problemErrorHandler(logger: Logger = silentLogger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for a problem document: let express close the connection.
      next(err);
      return;
    }
    const requestId = getRequestId(res);
    const fields = { requestId, method: req.method, path: instanceOf(req) };

    if (isGatewayError(err)) {
      const status = CLIENT_ERROR_STATUS[err.code];
      if (status !== undefined) {
        const errors = fieldProblemsOf(err.details);
        sendProblem(req, res, { status, code: err.code, detail: err.message, ...(errors === undefined ? {} : { errors }) });
        return;
      }
      if (err.code === ErrorCodes.GW_DATABASE_UNAVAILABLE) {
        logger.warn({ ...fields, err, cause: err.cause }, 'database unavailable');
        sendProblem(req, res, {
          status: 503,
          code: ErrorCodes.GW_DATABASE_UNAVAILABLE,
          detail: 'The configuration database is unavailable; nothing was changed. Retry later.',
          headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
        });
        return;
      }
      if (err.code === ErrorCodes.GW_OUTCOME_UNKNOWN) {
        // Not "nothing was changed": the database froze between COMMIT and its answer. The
        // store's message names the API and what to read to learn the truth (`check`).
        logger.warn({ ...fields, err, cause: err.cause }, 'database did not answer COMMIT in time: outcome unknown');
        sendProblem(req, res, {
          status: 503,
          code: ErrorCodes.GW_OUTCOME_UNKNOWN,
          detail: err.message,
          headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
          ...(err.details === undefined ? {} : { extensions: { ...err.details } }),
        });
        return;
      }
      if (err.code === ErrorCodes.GW_CONTROLLER_BUSY) {
        // Load, not an outage: the database answers; this replica's pool was full for the whole
        // wait, its earlier writes took too long, or a statement ran past the statement timeout.
        logger.warn({ ...fields, err, cause: err.cause }, 'controller busy: the database answers, the request could not finish in time');
        sendProblem(req, res, {
          status: 503,
          code: ErrorCodes.GW_CONTROLLER_BUSY,
          detail: `${err.message} Nothing was changed. Retry later.`,
          headers: { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) },
        });
        return;
      }
    } else if (typeof err === 'object' && err !== null) {
      const e = err as HttpLikeError;
      const known = typeof e.type === 'string' ? BODY_PARSER_ERRORS[e.type] : undefined;
      if (known !== undefined) {
        const parseMessage = known.code === ErrorCodes.GW_BAD_JSON && typeof e.message === 'string' ? ` ${e.message.slice(0, 200)}` : '';
        sendProblem(req, res, { status: known.status, code: known.code, detail: known.detail + parseMessage });
        return;
      }
      // Errors the router marks as the client's fault, e.g. a path parameter that is not valid
      // percent-encoding (a URIError with status 400). The detail stays generic either way.
      const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
      if (status !== undefined && status >= 400 && status < 500) {
        sendProblem(req, res, { status, code: status === 404 ? ErrorCodes.GW_NOT_FOUND : ErrorCodes.GW_BAD_REQUEST, detail: 'The request is not valid.' });
        return;
      }
    }

    logger.error({ ...fields, err }, 'unexpected error in the deploy API');
    sendProblem(req, res, {
      status: 500,
      code: ErrorCodes.GW_INTERNAL,
      detail: `An unexpected error occurred; it was logged with request id ${requestId}.`,
    });
  };
}
