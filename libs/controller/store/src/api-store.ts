import type { ApiDefinition, StoredApi } from '@gw/api-schema';
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
  listApis(): Promise<StoredApi[]>;
  deleteApi(name: string, options: WriteOptions): Promise<DeleteApiResult>;
  readConfigState(): Promise<ConfigState>;
  readDesiredState(): Promise<DesiredState>;
}

/** The PostgreSQL channel every write notifies, with the new version as payload. */
export const CONFIG_CHANNEL = 'gateway_config';
