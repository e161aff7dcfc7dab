export { createControllerHttpApp, isProtectedPath, type ControllerHttpAppOptions } from './controller-http-app.js';
export {
  createApiRouter,
  toApiResource,
  revisionEtag,
  parseIfMatch,
  CONFIG_VERSION_HEADER,
  type ApiResource,
  type ApiRoutesOptions,
  type IfMatch,
} from './api-routes.js';
export { bearerAuth, getActor, tokensEqual, WWW_AUTHENTICATE, type Actor, type BearerAuthOptions } from './bearer-auth.js';
export { createHealthRouter, type HealthRoutesOptions, type ReadinessCheck, type ReadinessReport } from './health-routes.js';
export {
  buildProblem,
  sendProblem,
  methodNotAllowed,
  notFoundHandler,
  problemErrorHandler,
  problemType,
  PROBLEM_CONTENT_TYPE,
  DATABASE_RETRY_AFTER_SECONDS,
  type ProblemDocument,
  type ProblemInit,
} from './problem-details.js';
export { requestIdMiddleware, getRequestId, REQUEST_ID_HEADER } from './request-id.js';
export { jsonBody, boundedDrain, isJsonMediaType, DRAIN_MAX_BYTES, DRAIN_MAX_MS, type JsonBodyOptions } from './json-body.js';
export { createFleetRouter, WAIT_DEFAULT_MS, WAIT_MAX_MS, type FleetRoutesOptions, type FleetStatusSource } from './fleet-routes.js';
export { createEpochRouter, EPOCH_HEADER, type EpochRoutesOptions, type EpochBumper } from './epoch-routes.js';
