import type { Logger } from '@gw/logging';
import { createDatabase, migrateToLatest, resealSecrets, type ResealReport } from '@gw/store';
import type { ResealConfig } from './env.js';
import { loadSecretKeyRing, withSecretKeyHint, isSecretKeyError } from './secret-keys.js';

/**
 * `node apps/controller/dist/main.js reseal`: seals every secret in the database (API rows
 * and all revisions) under SECRETS_KEY_FILE, opening values with it or any of
 * SECRETS_PREVIOUS_KEY_FILES, in one transaction. The config version and the compiled
 * snapshot do not change, so running controllers and runtimes carry on untouched.
 */
export async function reseal(config: ResealConfig, logger: Logger): Promise<ResealReport> {
  const ring = await loadSecretKeyRing(config.secretKeys, logger);
  if (ring === undefined) throw new Error('reseal needs SECRETS_KEY_FILE');
  const database = createDatabase({ connectionString: config.databaseUrl, poolMax: 1, connectionTimeoutMillis: config.dbConnectTimeoutMs, applicationName: 'gw-reseal', logger });
  try {
    // The same schema the controllers use (a no-op when they already migrated it).
    await migrateToLatest(database.db, logger);
    return await resealSecrets(database.db, ring);
  } catch (err) {
    throw isSecretKeyError(err) ? withSecretKeyHint(err) : err;
  } finally {
    await database.close();
  }
}

/** The one line `reseal` prints on success. */
export function describeReseal(r: ResealReport): string {
  return `resealed ${r.secrets} secrets (${r.wasPlaintext} were plaintext) in ${r.apis} APIs and ${r.revisions} revisions under key id ${r.keyId}; config version unchanged`;
}
