import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { AuditContext, TokenRole, TokenStore } from '@gw/store';
import type { Request, RequestHandler, Response } from 'express';
import { ANONYMOUS_ACTOR, BOOTSTRAP_ACTOR, hashTokenSecret, looksLikeNamedToken } from './admin-token.js';
import { allows, type Access } from './access.js';
import { sendProblem } from './problem-details.js';
import { getRequestId } from './request-id.js';

/** Who made a request: the bootstrap token (`admin`), a named token, or nobody with auth disabled (`anonymous`). */
export interface Principal {
  /** The actor name the audit log records. */
  name: string;
  role: TokenRole;
  kind: 'bootstrap' | 'token' | 'anonymous';
}

/** A request's authentication: who, or why nobody. */
export type Authentication = { principal: Principal } | { refused: 'missing' | 'invalid' | 'expired' };

/** Who made a change, as recorded in the audit log. */
export type Actor = string;

export const WWW_AUTHENTICATE = 'Bearer realm="gateway"';

/** last_used_at is written at most this often per token (reads must not become writes). */
export const LAST_USED_INTERVAL_MS = 60_000;

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
  /** The bootstrap admin token (ADMIN_TOKEN): checked in memory, so it works while the database is down. */
  adminToken: string | undefined;
  /** The explicit opt-out (ADMIN_AUTH_DISABLED): a request without a token acts as `anonymous` with the admin role. */
  authDisabled?: boolean;
  /** Named tokens, looked up in PostgreSQL on every request so a revoke is seen by every replica at once. */
  tokens: Pick<TokenStore, 'findTokenByHash' | 'touchToken'>;
  logger?: Logger;
}

/** What bearerAuth leaves on `res.locals` for the routes' access checks. */
interface AuthSlot {
  resolve(): Promise<Authentication>;
  logger: Logger;
}
const AUTH_SLOT = 'auth';

/**
 * Attaches a lazy resolver for the request's principal; `requireAccess` (declared on each
 * route) calls it, so public routes never look a token up. A lookup runs at most once
 * per request.
 */
export function bearerAuth(options: BearerAuthOptions): RequestHandler {
  const { adminToken, authDisabled = false } = options;
  const logger = options.logger ?? silentLogger;
  if (adminToken === '') {
    // An empty ADMIN_TOKEN is almost certainly a deployment mistake; refuse to guess whether auth was meant.
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'adminToken must not be empty.');
  }
  if (adminToken !== undefined && /\s/.test(adminToken)) {
    // No Authorization header could ever carry it, so every request would be refused.
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'adminToken must not contain whitespace.');
  }
  if (adminToken === undefined && !authDisabled) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'adminToken is required unless authentication is disabled explicitly (authDisabled).');
  }
  if (adminToken !== undefined && authDisabled) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'adminToken and authDisabled contradict each other; set one of them.');
  }
  const expectedDigest = adminToken === undefined ? undefined : sha256(adminToken);

  async function authenticate(req: Request): Promise<Authentication> {
    const header = req.headers.authorization;
    if (header === undefined) {
      return authDisabled ? { principal: { name: ANONYMOUS_ACTOR, role: 'admin', kind: 'anonymous' } } : { refused: 'missing' };
    }
    const presented = BEARER.exec(header)?.[1];
    if (presented === undefined) return { refused: 'invalid' };
    if (expectedDigest !== undefined && tokensEqual(presented, expectedDigest)) {
      return { principal: { name: BOOTSTRAP_ACTOR, role: 'admin', kind: 'bootstrap' } };
    }
    if (!looksLikeNamedToken(presented)) return { refused: 'invalid' };
    const found = await options.tokens.findTokenByHash(hashTokenSecret(presented));
    if (found === undefined) return { refused: 'invalid' };
    if (found.expired) return { refused: 'expired' };
    if (found.lastUsedAt === null || Date.now() - found.lastUsedAt.getTime() >= LAST_USED_INTERVAL_MS) {
      // Off the request path: a failed bookkeeping write must not fail the request.
      options.tokens.touchToken(found.name, LAST_USED_INTERVAL_MS).catch((err: unknown) => logger.debug({ err, token: found.name }, 'recording token use failed'));
    }
    return { principal: { name: found.name, role: found.role, kind: 'token' } };
  }

  return (req, res, next) => {
    let pending: Promise<Authentication> | undefined;
    res.locals[AUTH_SLOT] = { resolve: () => (pending ??= authenticate(req)), logger } satisfies AuthSlot;
    next();
  };
}

function authSlot(req: Request, res: Response): AuthSlot {
  const slot = res.locals[AUTH_SLOT] as AuthSlot | undefined;
  // Fail closed: a guarded route in an app without bearerAuth is a wiring bug, not an open door.
  if (slot === undefined) throw new GatewayError(ErrorCodes.GW_INTERNAL, `bearerAuth is not installed before ${req.method} ${req.path}.`);
  return slot;
}

const PRINCIPAL = 'principal';

/** The actor of a request that passed a non-public `requireAccess`. */
export function getActor(res: Response): Actor {
  const principal = res.locals[PRINCIPAL] as Principal | undefined;
  // Only reachable through a route declared public that still writes: a wiring bug.
  if (principal === undefined) throw new GatewayError(ErrorCodes.GW_INTERNAL, 'No authenticated principal on this request.');
  return principal.name;
}

/** Actor and request id for the audit entry of a change. */
export function auditContext(res: Response): AuditContext {
  return { actor: getActor(res), requestId: getRequestId(res) };
}

const REFUSAL_DETAIL = {
  missing: 'This endpoint requires Authorization: Bearer <token>.',
  invalid: 'The bearer token is not valid.',
  expired: 'The bearer token has expired.',
} as const;

/** Answers 401 (no or unknown token) or 403 (known token without the role), both problem+json. */
export function requireAccess(access: Access): RequestHandler {
  if (access === 'public') return (_req, _res, next) => next();
  return async (req, res, next) => {
    const slot = authSlot(req, res);
    const authentication = await slot.resolve();
    if ('refused' in authentication) {
      slot.logger.warn(
        { requestId: getRequestId(res), method: req.method, path: req.path, reason: authentication.refused },
        'deploy API request refused: bad or missing bearer token',
      );
      sendProblem(req, res, {
        status: 401,
        code: ErrorCodes.GW_UNAUTHORIZED,
        detail: REFUSAL_DETAIL[authentication.refused],
        headers: { 'WWW-Authenticate': WWW_AUTHENTICATE },
      });
      return;
    }
    const { principal } = authentication;
    if (!allows(principal.role, access)) {
      slot.logger.warn({ requestId: getRequestId(res), method: req.method, path: req.path, actor: principal.name, role: principal.role, needs: access }, 'deploy API request refused: role too weak');
      sendProblem(req, res, {
        status: 403,
        code: ErrorCodes.GW_FORBIDDEN,
        detail: `This endpoint needs the ${access} role; token "${principal.name}" has the ${principal.role} role.`,
        extensions: { requiredRole: access, role: principal.role },
      });
      return;
    }
    res.locals[PRINCIPAL] = principal;
    next();
  };
}
