import type { Migration, MigrationProvider } from 'kysely/migration';
import { initial } from './0001-initial.js';
import { runtimeSessions } from './0002-runtime-sessions.js';
import { adminTokens } from './0003-admin-tokens.js';
import { runtimeIdentity } from './0004-runtime-identity.js';
import { controllerHeartbeats } from './0005-controller-heartbeats.js';
import { applyRollbackAudit } from './0006-apply-rollback-audit.js';
import { writeApiFunction } from './0007-write-api-function.js';

/** Every migration, in order. Names sort lexically; add new ones at the end, never edit old ones. */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': initial,
  '0002-runtime-sessions': runtimeSessions,
  '0003-admin-tokens': adminTokens,
  '0004-runtime-identity': runtimeIdentity,
  '0005-controller-heartbeats': controllerHeartbeats,
  '0006-apply-rollback-audit': applyRollbackAudit,
  '0007-write-api-function': writeApiFunction,
});

/** Migrations live in code (bundled with the app) rather than being read from disk. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};
