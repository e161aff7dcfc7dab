export {
  ApiDefinitionSchema,
  isValidApiName,
  type ApiDefinitionInput,
  type ApiDefinition,
  type ApiRoute,
  type UpstreamDefinition,
  type TargetDefinition,
  type LoadBalancing,
  type LoadBalancingAlgorithm,
  type Timeouts,
  type Retries,
  type HealthCheck,
  type OutlierDetection,
  type CircuitBreaker,
  type Policies,
  type CorsPolicy,
  type AuthPolicy,
  type ApiKeyAuth,
  type ApiKeyEntry,
  type JwtAuth,
  type RateLimitDefinition,
  type RateLimitScope,
  type RateLimitFailureMode,
  type IdempotencyPolicy,
  type StoredApi,
} from './api-definition.schema.js';
export { LOAD_BALANCING_ALGORITHMS, RETRY_FAILURE_CONDITIONS, type HashOn, type RetryCondition } from './upstream.schema.js';
export { UNSAFE_METHODS, type ApiKeyLocation, type RateLimitKey } from './policies.schema.js';
export { ROUTE_METHODS, type RouteMethod } from './methods.js';
export { JWT_ALGORITHMS, JWK_MEMBERS, REDACTED, jwkAlgorithm, type Jwk, type JwtAlgorithm } from './jwk.js';
export { API_LIMITS, POLICY_LIMITS } from './limits.js';
export { API_DEFAULTS } from './defaults.js';
export { validateApiDefinition, type ValidateApiDefinitionOptions, type ApiDefinitionValidationResult } from './validate-api-definition.js';
export { MAX_REPORTED_PROBLEMS, UNKNOWN_FIELD, toJsonPointer, gatewayWording, problemsFromIssues, pointerFormat, formatPath, type FieldProblem, type PathFormat } from './field-problems.js';
export { diffDefinitions, definitionsEqual, type DefinitionChange } from './definition-diff.js';
export { isWildcardHost } from './host-pattern.js';
export { routePathShape } from './route-path.js';
export {
  ANY_HOST,
  ClaimRegistry,
  claimKey,
  describeClaim,
  describeRouteConflict,
  findRouteConflicts,
  routeClaims,
  routeConflictProblems,
  type RouteClaim,
  type RouteConflict,
} from './route-claims.js';
export { maskDefinitionSecrets, restoreMaskedSecrets, hasMaskedSecrets } from './secret-masking.js';
export { isJsonObject } from './json-object.js';
export { sameJson } from './same-json.js';
export { SECRET_MARK, secretField } from './secret-mark.js';
export { EACH_ITEM, listSecretFields, mapSecretFields, secretFieldPaths, type SecretPath } from './secret-fields.js';
export { apiDefinitionJsonSchema, API_DEFINITION_SCHEMA_PATH } from './json-schema.js';
export { compactDefinition, tryCompactDefinition } from './compact-definition.js';
export { renderFieldReference } from './field-reference.js';
