export {
  type ApiDefinitionInput,
  type RouteInput,
  type UpstreamInput,
  type TargetInput,
  type LoadBalancingInput,
  type ApiDefinition,
  type ApiRoute,
  type UpstreamDefinition,
  type TargetDefinition,
  type LoadBalancing,
  type LoadBalancingAlgorithm,
  type HashOn,
  type Timeouts,
  type Retries,
  type RetryCondition,
  type HealthCheck,
  type OutlierDetection,
  type CircuitBreaker,
  type StoredApi,
  API_DEFAULTS,
  API_LIMITS,
  LOAD_BALANCING_ALGORITHMS,
  RETRY_FAILURE_CONDITIONS,
  ROUTE_METHODS,
} from './api-definition.js';
export {
  type FieldProblem,
  type ValidateApiDefinitionOptions,
  type ApiDefinitionValidationResult,
  MAX_REPORTED_PROBLEMS,
  validateApiDefinition,
  isValidApiName,
} from './api-definition-validation.js';
export { isWildcardHost } from './host-pattern.js';
export { routePathShape } from './route-validation.js';
export { type RouteConflict, findRouteConflicts, describeRouteConflict, routeConflictProblems } from './route-conflicts.js';
