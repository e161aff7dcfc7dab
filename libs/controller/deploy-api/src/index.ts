export { createControllerHttpApp, isProtectedPath, type ControllerHttpAppOptions } from './controller-http-app.js';
export {
  createApiRouter,
  toApiResource,
  revisionEtag,
  parseIfMatch,
  CONFIG_VERSION_HEADER,
  listWithVersion,
  type ApiResource,
  type ApiRoutesOptions,
  type IfMatch,
} from './api-routes.js';
export {
  bearerAuth,
  requireAccess,
  getActor,
  auditContext,
  tokensEqual,
  WWW_AUTHENTICATE,
  LAST_USED_INTERVAL_MS,
  type Actor,
  type Principal,
  type Authentication,
  type BearerAuthOptions,
} from './bearer-auth.js';
export { allows, type Access } from './access.js';
export { createRevisionRouter, REVISIONS_LIMIT_DEFAULT, REVISIONS_LIMIT_MAX, type RevisionRoutesOptions } from './revision-routes.js';
export { createApplyRouter, configVersionEtag, type ApplyRoutesOptions } from './apply-routes.js';
export { elevatedWhen, declareRoute, listDeclaredRoutes, assertEveryRouteDeclared, type DeclaredRoute, type RouteMethod, type RouteMethods, type RouteSpec } from './route-access.js';
export { type OperationDoc, type ParameterDoc, type ResponseDoc } from './operation-doc.js';
export { buildOpenApiDocument, openApiPath, OPENAPI_PATH, BEARER_SCHEME } from './openapi-document.js';
export { declareOpenApiRoute } from './openapi-routes.js';
export * as openApiSchemas from './openapi-schemas.js';
export {
  TOKEN_PREFIX,
  TOKEN_NAME_PATTERN,
  BOOTSTRAP_ACTOR,
  ANONYMOUS_ACTOR,
  RESERVED_TOKEN_NAMES,
  isTokenName,
  generateTokenSecret,
  hashTokenSecret,
  looksLikeNamedToken,
} from './admin-token.js';
export { createTokenRouter, validateTokenRequest, type TokenRoutesOptions, type TokenRequest } from './token-routes.js';
export { encodePageCursor, decodePageCursor } from './page-cursor.js';
export { createAuditRouter, AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX, type AuditRoutesOptions } from './audit-routes.js';
export { parseIsoDateTime } from './iso-date-time.js';
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
  BUSY_RETRY_AFTER_SECONDS,
  type ProblemDocument,
  type ProblemInit,
} from './problem-details.js';
export { requestIdMiddleware, getRequestId, REQUEST_ID_HEADER } from './request-id.js';
export { jsonBody, boundedDrain, isJsonMediaType, DRAIN_MAX_BYTES, DRAIN_MAX_MS, type JsonBodyOptions } from './json-body.js';
export { createFleetRouter, WAIT_DEFAULT_MS, WAIT_MAX_MS, type FleetRoutesOptions, type FleetStatusSource } from './fleet-routes.js';
export { createEpochRouter, EPOCH_HEADER, type EpochRoutesOptions, type EpochBumper } from './epoch-routes.js';
export { createControllerRouter, type ControllerRoutesOptions } from './controller-routes.js';
export { createFleetUiRouter, FLEET_UI_CSP, type FleetUiRoutesOptions } from './fleet-ui-routes.js';
