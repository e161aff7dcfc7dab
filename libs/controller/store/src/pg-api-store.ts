import { definitionsEqual, type ApiDefinition } from '@gw/api-schema';
import { ErrorCodes, GatewayError } from '@gw/errors';
import type { SecretKeyRing } from '@gw/secret-seal';
import * as repo from './api.repository.js';
import { findApplyConflicts, planApply } from './apply-plan.js';
import { recordAudits, type AuditEntry } from './audit.repository.js';
import type { ApiRevision, ApiStore, ApplyOptions, ApplyResult, DeleteApiResult, DesiredState, PutApiResult, RollbackApiResult, WriteOptions } from './api-store.js';
import { definitionSecrets } from './definition-secrets.js';
import * as repo_w from './api-write.repository.js';
import { isOutcomeUnknown } from './database-deadline.js';
import { DEFAULT_WRITE_CONCURRENCY, WriterQueue } from './writer-queue.js';
import { assertNoRouteConflictWith, routeNeighbours } from './route-conflict-check.js';
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

/** How often a single write is decided again, without the lock, when its basis moved before it could write. */
const OPTIMISTIC_ATTEMPTS = 3;

/**
 * The database stopped answering after this write's commit was sent: it may have
 * committed or not. The caller learns what would prove it (issue 14).
 */
function outcomeUnknown(operation: string, name: string, revision: number, cause: unknown): GatewayError {
  const check = `GET /v1/apis/${encodeURIComponent(name)}/revisions/${revision}`;
  return new GatewayError(
    ErrorCodes.GW_OUTCOME_UNKNOWN,
    `The database stopped answering after the ${operation} of "${name}" was sent to commit as revision ${revision}; it may or may not have committed. ` +
      `Check with ${check} once the database answers: 200 means it committed (its configVersion is the version it made; GET /v1/audit?api= shows it with this request's id); 404 means nothing was written.`,
    { cause, details: { name, revision, check } },
  );
}

export interface ApiStoreOptions {
  /** The keys that seal secrets at rest; without them secrets are stored in plaintext. */
  secrets?: SecretKeyRing;
  /** How long a write may wait for this store's earlier writes (default DEFAULT_WRITER_QUEUE_TIMEOUT_MS); then GW_CONTROLLER_BUSY. */
  writerQueueTimeoutMs?: number;
  /** How many of this store's writes run at once (default DEFAULT_WRITE_CONCURRENCY). */
  writeConcurrency?: number;
}

/**
 * The PostgreSQL implementation of the store port. Each write is one transaction that
 * changes the API, appends its revision and audit entry, bumps the config version and
 * queues the notification, so all of them commit together or not at all.
 *
 * The writers' lock is the config_state row (the version bump): it orders writers, so
 * versions commit in increasing order. A single-API write takes it LAST (singleWrite):
 * it reads and decides without it, then bumps and writes in one statement that re-checks
 * what the decision was based on, then commits. Every writer takes that lock before any
 * row lock (an apply locks first, then writes its rows; a single write locks rows only in
 * its last statement), so no two writers can wait on each other in a cycle. Reads never
 * take these locks.
 *
 * With `secrets` (SECRETS_KEY_FILE), every secret field is sealed in the API row and its
 * revision, and opened on every read: callers and the compiler see plaintext only.
 */
export function createApiStore(db: repo.Executor, options: ApiStoreOptions = {}): ApiStore {
  const secrets = definitionSecrets(options.secrets);
  // Writers queue here, not on the config_state lock (writer-queue.ts).
  const writers = new WriterQueue(options.writerQueueTimeoutMs, options.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY);
  const stored = (row: repo.ApiRow & { updated_by?: string | null }) => {
    const api = repo.toStoredApi(row);
    return { ...api, definition: secrets.open(api.definition, `API "${row.name}"`) };
  };
  /** The stored API a write just made, without reading it back (`updatedBy` is the writer). */
  const storedWrite = (name: string, w: repo_w.WrittenApi, sealed: ApiDefinition) =>
    stored({ name, revision: w.revision, definition: sealed, created_at: w.createdAt!, updated_at: w.updatedAt! });
  const revisionOf = (r: repo.RevisionRecord): ApiRevision => ({
    ...r,
    definition: r.definition === null ? null : secrets.open(r.definition, `API "${r.name}" revision ${r.revision}`),
  });

  /**
   * One single-API write (put, rollback or delete), with the writers' lock taken last:
   * `decide` reads the basis without a lock (If-Match, route conflicts, the next revision)
   * and says what to write; then one statement (repo_w.writeApi) takes the lock, re-checks
   * the basis and writes everything, and commits as it ends. If the basis moved meanwhile
   * (a concurrent write to the same name or to an API with the same base path), the write
   * is decided again; after OPTIMISTIC_ATTEMPTS it is decided inside a transaction that
   * takes the lock first, which nothing can overtake.
   */
  async function singleWrite<T>(
    operation: string,
    name: string,
    basePath: string | undefined,
    decide: (basis: repo_w.WriteBasis, db: repo.Executor) => Promise<{ write: Omit<repo_w.ApiWrite, 'basis' | 'name'> } | { done: T }>,
    result: (written: repo_w.WrittenApi, basis: repo_w.WriteBasis, sealed: ApiDefinition | null) => T,
  ): Promise<T> {
    let pending: { revision: number } | undefined;
    const once = async (executor: repo.Executor, autocommit: boolean): Promise<{ value: T } | undefined> => {
      pending = undefined;
      const basis = await repo_w.readWriteBasis(executor, name, basePath);
      const decided = await decide(basis, executor);
      if ('done' in decided) return { value: decided.done };
      // What an unanswered commit would have made: the write's own statement (autocommit),
      // or the COMMIT after it (the lock-first transaction).
      pending = { revision: basis.lastRevision + 1 };
      const written = await repo_w.writeApi(executor, { ...decided.write, name, basis }, autocommit);
      return written === undefined ? undefined : { value: result(written, basis, decided.write.definition) };
    };
    return run(operation, async () => {
      try {
        for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
          const done = await once(db, true);
          if (done !== undefined) return done.value;
        }
        const done = await db.transaction().execute(async (trx) => {
          await repo.lockConfigState(trx);
          return once(trx, false);
        });
        if (done === undefined) throw new GatewayError(ErrorCodes.GW_INTERNAL, `The write to API "${name}" changed under the writers' lock.`);
        return done.value;
      } catch (err) {
        if (pending !== undefined && isOutcomeUnknown(err)) throw outcomeUnknown(operation, name, pending.revision, err);
        throw err;
      }
    });
  }

  return {
    putApi(definition: ApiDefinition, options: WriteOptions): Promise<PutApiResult> {
      const name = definition.name;
      return writers.run(() =>
        singleWrite(
          'put API',
          name,
          definition.basePath,
          async (basis) => {
            checkIfMatch(name, basis.currentRevision, options);
            assertNoRouteConflictWith(definition, basis.neighbours);
            return { write: { definition: secrets.seal(definition), action: 'put', actor: options.actor, requestId: options.requestId } };
          },
          (w, basis, sealed) => ({ api: storedWrite(name, w, sealed!), configVersion: w.configVersion, created: basis.currentRevision === undefined }),
        ),
      );
    },

    rollbackApi(definition: ApiDefinition, options: WriteOptions): Promise<RollbackApiResult> {
      const name = definition.name;
      return writers.run(() =>
        singleWrite<RollbackApiResult>(
          'roll back API',
          name,
          definition.basePath,
          async (basis, executor) => {
            checkIfMatch(name, basis.currentRevision, options);
            if (basis.currentRevision !== undefined) {
              // A rollback to the current content changes nothing and makes no version.
              const current = await repo.findApi(executor, name);
              if (current !== undefined && definitionsEqual(stored(current).definition, definition)) {
                const state = await repo.readConfigState(executor);
                return { done: { api: stored(current), configVersion: state.version, created: false, changed: false } };
              }
            }
            assertNoRouteConflictWith(definition, basis.neighbours);
            return { write: { definition: secrets.seal(definition), action: 'rollback', actor: options.actor, requestId: options.requestId } };
          },
          (w, basis, sealed) => ({ api: storedWrite(name, w, sealed!), configVersion: w.configVersion, created: basis.currentRevision === undefined, changed: true }),
        ),
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
      return writers.run(() =>
        singleWrite(
          'delete API',
          name,
          undefined,
          async (basis) => {
            if (basis.currentRevision === undefined) {
              throw new GatewayError(ErrorCodes.GW_API_NOT_FOUND, `API "${name}" does not exist.`, { details: { name } });
            }
            checkIfMatch(name, basis.currentRevision, options);
            // The tombstone takes its own revision so history keeps one row per write.
            return { write: { definition: null, action: 'delete', actor: options.actor, requestId: options.requestId } };
          },
          (w, basis) => ({ revision: basis.currentRevision!, configVersion: w.configVersion }),
        ),
      );
    },

    getApi(name: string) {
      return run('get API', async () => {
        const row = await repo.findApi(db, name);
        return row === undefined ? undefined : stored(row);
      });
    },

    listApis(page) {
      return run('list APIs', async () => (await repo.listApis(db, page)).map(stored));
    },

    listRouteNeighbours(basePath) {
      return run('list route neighbours', () => routeNeighbours(db, basePath));
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
