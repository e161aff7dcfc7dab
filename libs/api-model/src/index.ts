export {
  type ApiDefinitionInput,
  type UpstreamInput,
  type TargetInput,
  type ApiDefinition,
  type StoredApi,
  API_DEFAULTS,
  API_LIMITS,
} from './api-definition.js';
