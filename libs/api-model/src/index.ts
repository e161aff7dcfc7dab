export {
  type ApiDefinitionInput,
  type UpstreamInput,
  type TargetInput,
  type ApiDefinition,
  type StoredApi,
  API_DEFAULTS,
  API_LIMITS,
} from './api-definition.js';
export {
  type FieldProblem,
  type ValidateApiDefinitionOptions,
  type ApiDefinitionValidationResult,
  MAX_REPORTED_PROBLEMS,
  validateApiDefinition,
  isValidApiName,
} from './api-definition-validation.js';
