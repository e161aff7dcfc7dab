import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { RequestHandler, Response } from 'express';
import { sendProblem } from './problem-details.js';
import { getRequestId } from './request-id.js';

/** Who made a change, as recorded in the audit log. */
export type Actor = 'admin' | 'anonymous';

export const WWW_AUTHENTICATE = 'Bearer realm="gateway"';

/** Scheme case-insensitive (RFC 9110), then the token: anything visible, no whitespace. */
const BEARER = /^Bearer +(\S+) *$/i;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Compares in constant time. Hashing both sides first gives equal-length buffers, so
 * neither the comparison nor an early length check reveals how long the token is.
 */
export function tokensEqual(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedDigest);
}

export interface BearerAuthOptions {
  /** When undefined, nothing is required and every caller acts as "anonymous". */
  adminToken: string | undefined;
  /** Which request paths need the token (matched on `req.path`). */
  protects: (path: string) => boolean;
  logger?: Logger;
}

/**
 * Requires `Authorization: Bearer <adminToken>` on protected paths. Runs before body
 * parsing and routing, so an unauthenticated caller learns nothing about which routes
 * exist and costs us no body reading.
 */
export function bearerAuth(options: BearerAuthOptions): RequestHandler {
  const { adminToken, protects } = options;
  const logger = options.logger ?? silentLogger;
  if (adminToken === '') {
    // An empty ADMIN_TOKEN is almost certainly a deployment mistake; refuse to guess whether auth was meant.
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'adminToken must not be empty; leave it unset to disable authentication.');
  }
  if (adminToken !== undefined && /\s/.test(adminToken)) {
    // No Authorization header could ever carry it, so every request would be refused.
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'adminToken must not contain whitespace.');
  }
  const expectedDigest = adminToken === undefined ? undefined : sha256(adminToken);

  return (req, res, next) => {
    if (expectedDigest === undefined) {
      res.locals['actor'] = 'anonymous' satisfies Actor;
      next();
      return;
    }
    if (!protects(req.path)) {
      next();
      return;
    }
    const header = req.headers.authorization;
    const match = header === undefined ? null : BEARER.exec(header);
    if (match?.[1] !== undefined && tokensEqual(match[1], expectedDigest)) {
      res.locals['actor'] = 'admin' satisfies Actor;
      next();
      return;
    }
    logger.warn({ requestId: getRequestId(res), method: req.method, path: req.path, reason: header === undefined ? 'missing' : 'invalid' }, 'deploy API request refused: bad or missing bearer token');
    sendProblem(req, res, {
      status: 401,
      code: ErrorCodes.GW_UNAUTHORIZED,
      detail: header === undefined ? 'This endpoint requires Authorization: Bearer <token>.' : 'The bearer token is not valid.',
      headers: { 'WWW-Authenticate': WWW_AUTHENTICATE },
    });
  };
}

/** The actor `bearerAuth` established for this request ("anonymous" when auth is off). */
export function getActor(res: Response): Actor {
  return res.locals['actor'] === 'admin' ? 'admin' : 'anonymous';
}
