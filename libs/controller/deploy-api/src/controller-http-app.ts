import { silentLogger, type Logger } from '@gw/logging';
import type { ApiStore } from '@gw/store';
import express from 'express';
import { createApiRouter } from './api-routes.js';
import { bearerAuth } from './bearer-auth.js';
import { createHealthRouter, type ReadinessCheck } from './health-routes.js';
import { boundedDrain } from './json-body.js';
import { notFoundHandler, problemErrorHandler } from './problem-details.js';
import { requestIdMiddleware } from './request-id.js';
import { createSchemaRouter } from './schema-routes.js';

export interface ControllerHttpAppOptions {
  store: ApiStore;
  /** When set, every `/v1` route requires `Authorization: Bearer <adminToken>`. Must not be empty. */
  adminToken?: string;
  logger?: Logger;
  readiness: ReadinessCheck;
  /** Readiness checks slower than this answer 503 (default 3000 ms). */
  readinessTimeoutMs?: number;
  /**
   * More routes (e.g. `/v1/runtimes`, `/v1/status`, `/metrics`), registered after the
   * deploy API and before the 404 and error handlers: `/v1` ones are behind the same
   * bearer auth, and anything they throw becomes a problem document.
   */
  extraRoutes?: (app: express.Express) => void;
}

/** Every path under `/v1` is the operator API; health and metrics stay open. */
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
  app.use(
    createHealthRouter({
      readiness: options.readiness,
      logger,
      ...(options.readinessTimeoutMs === undefined ? {} : { readinessTimeoutMs: options.readinessTimeoutMs }),
    }),
  );
  // The API definition's JSON Schema is public (editors fetch it without credentials).
  app.use(createSchemaRouter());
  app.use(bearerAuth({ adminToken: options.adminToken, protects: isProtectedPath, logger }));
  app.use(createApiRouter({ store: options.store, logger }));
  options.extraRoutes?.(app);
  app.use(notFoundHandler());
  app.use(problemErrorHandler(logger));
  return app;
}
