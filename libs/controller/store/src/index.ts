export {
  type ApiStore,
  type ApiListPage,
  type PutApiResult,
  type DeleteApiResult,
  type RollbackApiResult,
  type ApplyOptions,
  type AppliedChange,
  type ApplyResult,
  type ApiRevision,
  type WriteOptions,
  type ConfigState,
  type DesiredState,
  type DesiredApi,
  CONFIG_CHANNEL,
} from './api-store.js';
export { createDatabase, storeTypes, DEFAULT_REQUEST_TIMEOUT_MS, type Database, type DatabaseOptions } from './database.js';
export { DatabaseDeadlineError, isOutcomeUnknown } from './database-deadline.js';
export type { DatabaseSchema } from './schema.js';
export type { ConfigStateTable } from './config-state.table.js';
export type { ApiTable } from './api.table.js';
export type { ApiRevisionTable } from './api-revision.table.js';
export type { AuditLogTable, AuditAction } from './audit-log.table.js';
export type { RuntimeSessionTable } from './runtime-session.table.js';
export type {
  FleetStore,
  FleetState,
  RuntimeNack,
  RuntimeSessionRecord,
  RuntimeSessionRow,
  RecordSessionsOptions,
  BumpEpochOptions,
  EpochBumpResult,
} from './fleet-store.js';
export { createFleetStore } from './pg-fleet-store.js';
export type { ControllerHeartbeatStore, ControllerHeartbeatRecord, ControllerHeartbeatRow, ControllerHeartbeats } from './controller-heartbeat-store.js';
export type { ControllerHeartbeatTable } from './controller-heartbeat.table.js';
export { createControllerHeartbeatStore } from './pg-controller-heartbeat-store.js';
export * as runtimeSessionRepository from './runtime-session.repository.js';
export { migrateToLatest, MIGRATION_ADVISORY_LOCK_KEY, type MigrateOptions } from './migrate.js';
export { migrations, migrationProvider } from './migrations/index.js';
export * as apiRepository from './api.repository.js';
export type { Executor, ApiRow, RevisionEntry, RevisionRecord, RevisionSummary } from './api.repository.js';
export * as auditRepository from './audit.repository.js';
export type { AuditContext, AuditSubject, AuditEntry, AuditRecord, AuditQuery } from './audit.repository.js';
export { TOKEN_ROLES, type TokenRole, type TokenRecord, type NewToken, type TokenLookup, type TokenStore, type AuditStore } from './token-store.js';
export type { AdminTokenTable } from './admin-token.table.js';
export { createTokenStore, createAuditStore } from './pg-token-store.js';
export { planApply, findApplyConflicts, type ApplyAction, type PlannedChange } from './apply-plan.js';
export { createApiStore, type ApiStoreOptions } from './pg-api-store.js';
export { createDesiredStateSource, type DesiredStateDelta, type DesiredStateSource, type StampedDesiredApi, type VersionMark } from './desired-state-delta.js';
export { definitionSecrets, type DefinitionSecrets } from './definition-secrets.js';
export { checkSealedSecrets, resealSecrets, type SealedSecretsReport, type ResealReport } from './sealed-secrets.js';
export { toStoreError, isDatabaseUnavailableError } from './store-error.js';
export { WriterQueue, DEFAULT_WRITER_QUEUE_TIMEOUT_MS } from './writer-queue.js';
