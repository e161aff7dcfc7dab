import type * as apiRepo from './api.repository.js';
import type { ControllerHeartbeatStore } from './controller-heartbeat-store.js';
import * as repo from './controller-heartbeat.repository.js';
import { databaseNow } from './runtime-session.repository.js';
import { runStoreOperation as run } from './store-error.js';

/** The PostgreSQL implementation of the controller-heartbeat port. */
export function createControllerHeartbeatStore(db: apiRepo.Executor): ControllerHeartbeatStore {
  return {
    beat(record) {
      return run('record controller heartbeat', () => repo.upsertControllerHeartbeat(db, record));
    },
    list() {
      return run('list controllers', () =>
        db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(async (trx) => ({ now: await databaseNow(trx), controllers: await repo.listControllerHeartbeats(trx) })),
      );
    },
    forget(olderThanMs) {
      return run('forget controllers', () => repo.deleteControllersNotSeenFor(db, olderThanMs));
    },
  };
}
