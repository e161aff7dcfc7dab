import type { ApiDefinition, StoredApi } from '@gw/api-schema';
import type { ApplyAction } from './apply-plan.js';
import type { RevisionSummary } from './api.repository.js';
import type { AuditContext } from './audit.repository.js';

/** What a write returns: the API's new revision and the global config version it produced. */
export interface PutApiResult {
  api: StoredApi;
  /** The config version committed with this write: deploys wait for runtimes to reach it. */
  configVersion: number;
  created: boolean;
}

export interface DeleteApiResult {
  /** The revision the API had when it was deleted. */
  revision: number;
  configVersion: number;
}

/** Who made the change (actor, request id), for the audit log; plus optimistic concurrency. */
export interface WriteOptions extends AuditContext {
  /** Optimistic concurrency: the revision the caller last saw (`If-Match`). */
  ifMatchRevision?: number;
}

/** A rollback: like a put, except that content equal to the current one changes nothing. */
export interface RollbackApiResult extends PutApiResult {
  /** False when the API already had this content: no revision, no config version, no audit entry. */
  changed: boolean;
}

/** `POST /v1/apply`: the set is applied in one transaction with one config version. */
export interface ApplyOptions extends AuditContext {
  /** Delete stored APIs that are not in the set. */
  prune: boolean;
  /** Compute the answer, write nothing. */
  dryRun: boolean;
  /** Optimistic concurrency on the whole config (`If-Match: "<configVersion>"`). */
  ifMatchConfigVersion?: number;
}

export interface AppliedChange {
  name: string;
  action: ApplyAction;
  before?: ApiDefinition;
  after?: ApiDefinition;
  /** The revision the write created (a delete: its tombstone); absent for unchanged and in a dry run. */
  revision?: number;
}

export interface ApplyResult {
  dryRun: boolean;
  /** The version the apply committed, or the current one when it changed nothing (or was a dry run). */
  configVersion: number;
  /** Every API of the set plus pruned ones, sorted by name. */
  changes: AppliedChange[];
}

/** One entry of an API's history, secrets opened; `definition` is null for a delete. */
export interface ApiRevision {
  name: string;
  revision: number;
  definition: ApiDefinition | null;
  configVersion: number;
  actor: string;
  createdAt: string;
}

/** One page of the API list: names after `after` in byte order, at most `limit` (none: to the end). */
export interface ApiListPage {
  after?: string;
  limit?: number;
}

/** The fleet-wide config state: one row, bumped in every write transaction. */
export interface ConfigState {
  version: number;
  epoch: number;
}

/** One stored API as the compiler takes it: the definition and its revision. */
export interface DesiredApi {
  definition: ApiDefinition;
  revision: number;
}

/** Everything the compiler needs, read in one consistent snapshot of the database. */
export interface DesiredState extends ConfigState {
  apis: DesiredApi[];
}

/**
 * The store's port. Errors are GatewayErrors with stable codes:
 * GW_API_NOT_FOUND, GW_PRECONDITION_FAILED, GW_DATABASE_UNAVAILABLE.
 */
export interface ApiStore {
  putApi(definition: ApiDefinition, options: WriteOptions): Promise<PutApiResult>;
  getApi(name: string): Promise<StoredApi | undefined>;
  /** Every API in name (byte) order, or one page of them. */
  listApis(page?: ApiListPage): Promise<StoredApi[]>;
  /** The definitions of the APIs with this base path: the only ones a write with it can have a route conflict with. */
  listRouteNeighbours(basePath: string): Promise<ApiDefinition[]>;
  deleteApi(name: string, options: WriteOptions): Promise<DeleteApiResult>;
  readConfigState(): Promise<ConfigState>;
  /**
   * Applies a set of valid definitions with unique names (GW_ROUTE_CONFLICT with field
   * problems at `/apis/<i>/…`, GW_PRECONDITION_FAILED on a stale `ifMatchConfigVersion`).
   */
  applyApis(definitions: readonly ApiDefinition[], options: ApplyOptions): Promise<ApplyResult>;
  /** Writes a valid definition taken from an earlier revision (audit action `rollback`); a no-op when it equals the current one. */
  rollbackApi(definition: ApiDefinition, options: WriteOptions): Promise<RollbackApiResult>;
  /** The API's history, newest first, at most `limit` revisions below `beforeRevision`. */
  listRevisions(name: string, page: { limit: number; beforeRevision?: number }): Promise<RevisionSummary[]>;
  getRevision(name: string, revision: number): Promise<ApiRevision | undefined>;
  readDesiredState(): Promise<DesiredState>;
}

/** The PostgreSQL channel every write notifies, with the new version as payload. */
export const CONFIG_CHANNEL = 'gateway_config';
