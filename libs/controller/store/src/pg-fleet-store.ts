import { ErrorCodes, GatewayError } from '@gw/errors';
import * as apiRepo from './api.repository.js';
import { recordAudit } from './audit.repository.js';
import type { FleetStore, RuntimeSessionRecord } from './fleet-store.js';
import * as repo from './runtime-session.repository.js';
import { runStoreOperation as run } from './store-error.js';

/** Keeps the newest record per runtime: one statement may not update a row twice. */
function newestPerRuntime(records: readonly RuntimeSessionRecord[]): RuntimeSessionRecord[] {
  const byRuntime = new Map<string, RuntimeSessionRecord>();
  for (const r of records) {
    const seen = byRuntime.get(r.runtimeId);
    if (!seen || seen.connectedAt.getTime() <= r.connectedAt.getTime()) byRuntime.set(r.runtimeId, r);
  }
  return [...byRuntime.values()];
}

/** The PostgreSQL implementation of the fleet-status port. */
export function createFleetStore(db: apiRepo.Executor): FleetStore {
  return {
    recordSessions(records, options) {
      return run('record runtime sessions', async () => {
        const unique = newestPerRuntime(records);
        let changed = 0;
        // Each row stands alone (ownership is decided per row), so batches need no shared transaction.
        for (let i = 0; i < unique.length; i += repo.SESSION_BATCH_SIZE) {
          changed += await repo.upsertRuntimeSessions(db, unique.slice(i, i + repo.SESSION_BATCH_SIZE), options.takeOverAfterMs);
        }
        return changed;
      });
    },

    readFleet() {
      return run('read fleet status', () =>
        db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(async (trx) => {
            const config = await apiRepo.readConfigState(trx);
            const now = await repo.databaseNow(trx);
            const runtimes = await repo.listRuntimeSessions(trx);
            return { config, now, runtimes };
          }),
      );
    },

    lastNack(runtimeId) {
      return run('read last NACK', () => repo.readLastNack(db, runtimeId));
    },

    lastNacks(runtimeIds) {
      return run('read last NACKs', () => repo.readLastNacks(db, runtimeIds));
    },

    forgetRuntimes(olderThanMs) {
      return run('forget runtimes', () => repo.deleteRuntimesNotSeenFor(db, olderThanMs));
    },

    bumpEpoch({ actor, requestId, expectedEpoch }) {
      return run('bump config epoch', () =>
        db.transaction().execute(async (trx) => {
          const state = await repo.bumpEpochAndVersion(trx, expectedEpoch);
          if (state === undefined) {
            const current = await apiRepo.readConfigState(trx);
            throw new GatewayError(ErrorCodes.GW_PRECONDITION_FAILED, `The config epoch is ${current.epoch}, not ${expectedEpoch}.`, {
              details: { expectedEpoch: expectedEpoch ?? null, currentEpoch: current.epoch },
            });
          }
          await recordAudit(trx, { actor, requestId, action: 'epoch', epoch: state.epoch, configVersion: state.version });
          await apiRepo.notifyConfigVersion(trx, state.version);
          return { epoch: state.epoch, configVersion: state.version };
        }),
      );
    },
  };
}
