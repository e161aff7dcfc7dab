import { definitionsEqual, type ApiDefinition } from '@gw/api-schema';
import { ErrorCodes, GatewayError } from '@gw/errors';
import type { SecretKeyRing } from '@gw/secret-seal';
import * as repo from './api.repository.js';
import { findApplyConflicts, planApply } from './apply-plan.js';
import { recordAudit, recordAudits, type AuditEntry } from './audit.repository.js';
import type { ApiRevision, ApiStore, ApplyOptions, ApplyResult, DeleteApiResult, DesiredState, PutApiResult, RollbackApiResult, WriteOptions } from './api-store.js';
import { definitionSecrets } from './definition-secrets.js';
import { WriterQueue } from './writer-queue.js';
import { assertNoRouteConflict } from './route-conflict-check.js';
import { runStoreOperation as run } from './store-error.js';

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
  /** How long a write may wait for this store's earlier writes (default DEFAULT_WRITER_QUEUE_TIMEOUT_MS); then GW_CONTROLLER_BUSY. */
  writerQueueTimeoutMs?: number;
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
  // Writers queue here, not on the config_state lock (writer-queue.ts).
  const writers = new WriterQueue(options.writerQueueTimeoutMs);
  const stored = (row: repo.ApiRow & { updated_by?: string | null }) => {
    const api = repo.toStoredApi(row);
    return { ...api, definition: secrets.open(api.definition, `API "${row.name}"`) };
  };
  const revisionOf = (r: repo.RevisionRecord): ApiRevision => ({
    ...r,
    definition: r.definition === null ? null : secrets.open(r.definition, `API "${r.name}" revision ${r.revision}`),
  });

  /** The rest of a single-API write, once the writers' lock is held and the version bumped. */
  async function writeOne(trx: repo.Executor, definition: ApiDefinition, configVersion: number, created: boolean, action: 'put' | 'rollback', options: WriteOptions): Promise<PutApiResult> {
    const name = definition.name;
    // Under the writers' lock: no other write can claim the route before we commit.
    await assertNoRouteConflict(trx, definition);
    const revision = await repo.nextRevision(trx, name);
    const sealed = secrets.seal(definition);
    const row = await repo.upsertApi(trx, sealed, revision);
    await repo.insertRevision(trx, { name, revision, definition: sealed, configVersion, actor: options.actor });
    await recordAudit(trx, { actor: options.actor, requestId: options.requestId, action, apiName: name, revision, configVersion });
    await repo.notifyConfigVersion(trx, configVersion);
    return { api: stored(row), configVersion, created };
  }

  return {
    putApi(definition: ApiDefinition, options: WriteOptions): Promise<PutApiResult> {
      return run('put API', () => writers.run(() =>
        db.transaction().execute(async (trx) => {
          // The bump first: it is the writers' lock (see the lock order above).
          const configVersion = await repo.bumpConfigVersion(trx);
          const locked = await repo.lockApi(trx, definition.name);
          checkIfMatch(definition.name, locked?.revision, options);
          return writeOne(trx, definition, configVersion, locked === undefined, 'put', options);
        })),
      );
    },

    rollbackApi(definition: ApiDefinition, options: WriteOptions): Promise<RollbackApiResult> {
      return run('roll back API', () => writers.run(() =>
        db.transaction().execute(async (trx) => {
          const name = definition.name;
          // The writers' lock first, without a bump: a rollback to the current content changes nothing.
          const state = await repo.lockConfigState(trx);
          const locked = await repo.lockApi(trx, name);
          checkIfMatch(name, locked?.revision, options);
          if (locked !== undefined) {
            const current = await repo.findApi(trx, name);
            if (current !== undefined && definitionsEqual(stored(current).definition, definition)) {
              return { api: stored(current), configVersion: state.version, created: false, changed: false };
            }
          }
          const configVersion = await repo.bumpConfigVersion(trx);
          return { ...(await writeOne(trx, definition, configVersion, locked === undefined, 'rollback', options)), changed: true };
        })),
      );
    },

    applyApis(definitions: readonly ApiDefinition[], options: ApplyOptions): Promise<ApplyResult> {
      const { dryRun } = options;
      return run('apply APIs', () => (dryRun ? applyTx() : writers.run(applyTx)));
      function applyTx(): Promise<ApplyResult> {
        // A dry run reads one consistent snapshot and takes no lock; a real apply takes the writers' lock.
        const tx = dryRun ? db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only') : db.transaction();
        return tx.execute(async (trx) => {
          const state = dryRun ? await repo.readConfigState(trx) : await repo.lockConfigState(trx);
          if (options.ifMatchConfigVersion !== undefined && options.ifMatchConfigVersion !== state.version) {
            throw new GatewayError(ErrorCodes.GW_PRECONDITION_FAILED, `The config is at version ${state.version}, not ${options.ifMatchConfigVersion}; nothing was changed.`, {
              details: { expectedConfigVersion: options.ifMatchConfigVersion, currentConfigVersion: state.version },
            });
          }
          const current = (await repo.listApis(trx)).map((row) => stored(row).definition);
          const plan = planApply(current, definitions, options.prune);
          const wanted = new Set(definitions.map((d) => d.name));
          const conflicts = findApplyConflicts(definitions, options.prune ? [] : current.filter((d) => !wanted.has(d.name)));
          if (conflicts.length > 0) {
            throw new GatewayError(ErrorCodes.GW_ROUTE_CONFLICT, `The set has ${conflicts.length} route conflict(s); nothing was changed.`, { details: { errors: conflicts } });
          }
          const changed = plan.filter((c) => c.action !== 'unchanged');
          if (dryRun || changed.length === 0) return { dryRun, configVersion: state.version, changes: plan };

          const configVersion = await repo.bumpConfigVersion(trx);
          const revisions = await repo.nextRevisions(trx, changed.map((c) => c.name));
          const revisionOfName = (name: string) => revisions.get(name) ?? 1;
          const writes = changed.flatMap((c) => (c.after === undefined ? [] : [{ definition: secrets.seal(c.after), revision: revisionOfName(c.name) }]));
          await repo.upsertApis(trx, writes);
          await repo.deleteApiRows(trx, changed.filter((c) => c.action === 'delete').map((c) => c.name));
          const sealedByName = new Map(writes.map((w) => [w.definition.name, w.definition]));
          await repo.insertRevisions(
            trx,
            changed.map((c) => ({ name: c.name, revision: revisionOfName(c.name), definition: sealedByName.get(c.name) ?? null, configVersion, actor: options.actor })),
          );
          await recordAudits(
            trx,
            changed.map((c): AuditEntry => ({ actor: options.actor, requestId: options.requestId, action: 'apply', apiName: c.name, revision: revisionOfName(c.name), configVersion })),
          );
          await repo.notifyConfigVersion(trx, configVersion);
          return { dryRun, configVersion, changes: plan.map((c) => (c.action === 'unchanged' ? c : { ...c, revision: revisionOfName(c.name) })) };
        });
      }
    },

    listRevisions(name: string, page: { limit: number; beforeRevision?: number }) {
      return run('list revisions', () => repo.pageRevisions(db, name, page));
    },

    getRevision(name: string, revision: number) {
      return run('get revision', async () => {
        const found = await repo.findRevision(db, name, revision);
        return found === undefined ? undefined : revisionOf(found);
      });
    },

    deleteApi(name: string, options: WriteOptions): Promise<DeleteApiResult> {
      return run('delete API', () => writers.run(() =>
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
        })),
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
