import { silentLogger, type Logger } from '@gw/logging';
import type { ApiStore, AuditStore, TokenStore } from '@gw/store';
import express from 'express';
import { createApiRouter } from './api-routes.js';
import { createApplyRouter } from './apply-routes.js';
import { createAuditRouter } from './audit-routes.js';
import { bearerAuth, requireAccess } from './bearer-auth.js';
import { createHealthRouter, type ReadinessCheck } from './health-routes.js';
import { boundedDrain } from './json-body.js';
import { declareOpenApiRoute } from './openapi-routes.js';
import { notFoundHandler, problemErrorHandler } from './problem-details.js';
import { requestIdMiddleware } from './request-id.js';
import { assertEveryRouteDeclared } from './route-access.js';
import { createRevisionRouter } from './revision-routes.js';
import { createSchemaRouter } from './schema-routes.js';
import { createTokenRouter } from './token-routes.js';

export interface ControllerHttpAppOptions {
  store: ApiStore;
  /** Named tokens (PostgreSQL): authentication and `/v1/tokens`. */
  tokens: TokenStore;
  /** `GET /v1/audit`. */
  audit: AuditStore;
  /** The bootstrap admin token (actor `admin`). Required unless `authDisabled`; must not be empty. */
  adminToken?: string;
  /** The explicit opt-out: requests without a token act as `anonymous` with the admin role. */
  authDisabled?: boolean;
  logger?: Logger;
  readiness: ReadinessCheck;
  /** Readiness checks slower than this answer 503 (default 3000 ms). */
  readinessTimeoutMs?: number;
  /**
   * More routes (e.g. `/v1/runtimes`, `/v1/status`, `/metrics`), registered after the
   * deploy API and before the 404 and error handlers. Each must be registered with
   * `declareRoute` (its access next to it), or the app refuses to build; anything they
   * throw becomes a problem document.
   */
  extraRoutes?: (app: express.Express) => void;
}

/** Every path under `/v1` is the operator API: an unknown one answers 401 before 404 without a token. */
export function isProtectedPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/** The controller's HTTP app: deploy API, health endpoints, problem+json errors. */
export function createControllerHttpApp(options: ControllerHttpAppOptions): express.Express {
  const logger = options.logger ?? silentLogger;
  const app = express();
  app.disable('x-powered-by');
  // ETags are revisions we set ourselves, never hashes of the body.
  app.set('etag', false);
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  app.use(requestIdMiddleware());
  app.use(boundedDrain());
  // Resolves the caller lazily; each route's declared access decides (route-access.ts).
  app.use(bearerAuth({ adminToken: options.adminToken, authDisabled: options.authDisabled ?? false, tokens: options.tokens, logger }));
  app.use(
    createHealthRouter({
      readiness: options.readiness,
      logger,
      ...(options.readinessTimeoutMs === undefined ? {} : { readinessTimeoutMs: options.readinessTimeoutMs }),
    }),
  );
  app.use(createSchemaRouter());
  declareOpenApiRoute(app);
  app.use(createApiRouter({ store: options.store, logger }));
  app.use(createRevisionRouter({ store: options.store, logger }));
  app.use(createApplyRouter({ store: options.store, logger }));
  app.use(createTokenRouter({ tokens: options.tokens, logger }));
  app.use(createAuditRouter({ audit: options.audit }));
  options.extraRoutes?.(app);
  // An unknown /v1 path tells a caller without a valid token nothing (401, not 404).
  const authenticated = requireAccess('viewer');
  app.use((req, res, next) => (isProtectedPath(req.path) ? authenticated(req, res, next) : next()));
  app.use(notFoundHandler());
  app.use(problemErrorHandler(logger));
  assertEveryRouteDeclared(app);
  return app;
}
