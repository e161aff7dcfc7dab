import type { ApiDefinition } from '@gw/api-schema';
import { ErrorCodes, GatewayError } from '@gw/errors';
import type { SecretKeyRing } from '@gw/secret-seal';
import * as repo from './api.repository.js';
import { recordAudit } from './audit.repository.js';
import type { ApiStore, DeleteApiResult, DesiredState, PutApiResult, WriteOptions } from './api-store.js';
import { definitionSecrets } from './definition-secrets.js';
import { assertNoRouteConflict } from './route-conflict-check.js';
import { toStoreError } from './store-error.js';

/** Rejects the write unless the caller's `If-Match` revision is the current one. */
function checkIfMatch(name: string, current: number | undefined, options: WriteOptions): void {
  const expected = options.ifMatchRevision;
  if (expected === undefined || current === expected) return;
  throw new GatewayError(
    ErrorCodes.GW_PRECONDITION_FAILED,
    current === undefined
      ? `API "${name}" does not exist, so it is not at revision ${expected}.`
      : `API "${name}" is at revision ${current}, not ${expected}.`,
    { details: { name, expectedRevision: expected, currentRevision: current ?? null } },
  );
}

export interface ApiStoreOptions {
  /** The keys that seal secrets at rest; without them secrets are stored in plaintext. */
  secrets?: SecretKeyRing;
}

async function run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(err, operation);
  }
}

/**
 * The PostgreSQL implementation of the store port. Each write is one transaction that
 * changes the API, appends its revision and audit entry, bumps the config version and
 * queues the notification, so all of them commit together or not at all.
 *
 * Lock order: every write takes the config_state row lock first (the version bump),
 * then the API's row. Locking the API row first deadlocks when two writers race to
 * create the same name: one holds the new row and waits for the version, the other holds
 * the version and waits for the row. Since every write bumps the version anyway, writers
 * are serialized either way; a write rejected by If-Match or a missing API rolls back,
 * so its bump never becomes visible. Reads never take these locks.
 *
 * With `secrets` (SECRETS_KEY_FILE), every secret field is sealed in the API row and its
 * revision, and opened on every read: callers and the compiler see plaintext only.
 */
export function createApiStore(db: repo.Executor, options: ApiStoreOptions = {}): ApiStore {
  const secrets = definitionSecrets(options.secrets);
  const stored = (row: repo.ApiRow & { updated_by?: string | null }) => {
    const api = repo.toStoredApi(row);
    return { ...api, definition: secrets.open(api.definition, `API "${row.name}"`) };
  };
  return {
    putApi(definition: ApiDefinition, options: WriteOptions): Promise<PutApiResult> {
      return run('put API', () =>
        db.transaction().execute(async (trx) => {
          const name = definition.name;
          // The bump first: it is the writers' lock (see the lock order above).
          const configVersion = await repo.bumpConfigVersion(trx);
          const locked = await repo.lockApi(trx, name);
          checkIfMatch(name, locked?.revision, options);
          // Under the writers' lock: no other write can claim the route before we commit.
          await assertNoRouteConflict(trx, definition);
          const revision = await repo.nextRevision(trx, name);
          const sealed = secrets.seal(definition);
          const row = await repo.upsertApi(trx, sealed, revision);
          await repo.insertRevision(trx, { name, revision, definition: sealed, configVersion, actor: options.actor });
          await recordAudit(trx, { actor: options.actor, requestId: options.requestId, action: 'put', apiName: name, revision, configVersion });
          await repo.notifyConfigVersion(trx, configVersion);
          return { api: stored(row), configVersion, created: locked === undefined };
        }),
      );
    },

    deleteApi(name: string, options: WriteOptions): Promise<DeleteApiResult> {
      return run('delete API', () =>
        db.transaction().execute(async (trx) => {
          const configVersion = await repo.bumpConfigVersion(trx);
          const locked = await repo.lockApi(trx, name);
          if (locked === undefined) {
            throw new GatewayError(ErrorCodes.GW_API_NOT_FOUND, `API "${name}" does not exist.`, { details: { name } });
          }
          checkIfMatch(name, locked.revision, options);
          const deletedRevision = await repo.deleteApiRow(trx, name);
          if (deletedRevision === undefined) {
            // Cannot happen while we hold the row lock; fail loudly rather than write a tombstone for nothing.
            throw new GatewayError(ErrorCodes.GW_INTERNAL, `API "${name}" vanished while locked.`);
          }
          // The tombstone takes its own revision so history keeps one row per write.
          const tombstone = await repo.nextRevision(trx, name);
          await repo.insertRevision(trx, { name, revision: tombstone, definition: null, configVersion, actor: options.actor });
          await recordAudit(trx, { actor: options.actor, requestId: options.requestId, action: 'delete', apiName: name, revision: tombstone, configVersion });
          await repo.notifyConfigVersion(trx, configVersion);
          return { revision: deletedRevision, configVersion };
        }),
      );
    },

    getApi(name: string) {
      return run('get API', async () => {
        const row = await repo.findApi(db, name);
        return row === undefined ? undefined : stored(row);
      });
    },

    listApis() {
      return run('list APIs', async () => (await repo.listApis(db)).map(stored));
    },

    readConfigState() {
      return run('read config state', () => repo.readConfigState(db));
    },

    readDesiredState(): Promise<DesiredState> {
      return run('read desired state', () =>
        db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(async (trx) => {
            // Both reads see one snapshot: the version always matches the APIs returned.
            const state = await repo.readConfigState(trx);
            const apis = (await repo.listDesiredApis(trx)).map((api) => ({ ...api, definition: secrets.open(api.definition, `API "${api.definition.name}"`) }));
            return { ...state, apis };
          }),
      );
    },
  };
}
