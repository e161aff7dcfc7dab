import { validateApiDefinition } from '@gw/api-schema';
import { createApiStore, createDatabase } from '@gw/store';

export interface SeedResult {
  count: number;
  /** The highest config version a deploy returned. */
  configVersion: number;
  durationMs: number;
}

/**
 * Writes `count` APIs with the store library, the deploy API's own write path minus HTTP:
 * each definition is validated as the deploy API validates it, then written in one
 * transaction each (revision, audit, version bump, notify). Used where the deploy API
 * would make a test too slow (every write makes every running controller recompile).
 * The seeding session commits without waiting for the WAL flush (synchronous_commit=off):
 * the same transactions, minus an fsync each, which a throwaway test database does not need.
 */
export async function seedThroughStore(
  databaseUrl: string,
  o: { count: number; concurrency: number; name: (i: number) => string; definition: (i: number, name: string) => unknown },
): Promise<SeedResult> {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', '-c synchronous_commit=off');
  const database = createDatabase({ connectionString: url.toString(), poolMax: o.concurrency, applicationName: 'gw-test-seed' });
  const store = createApiStore(database.db);
  const started = Date.now();
  let next = 0;
  let configVersion = 0;
  const worker = async () => {
    while (next < o.count) {
      const i = next++;
      const name = o.name(i);
      const checked = validateApiDefinition(o.definition(i, name));
      if (!checked.ok) throw new Error(`${name}: ${JSON.stringify(checked.problems)}`);
      const result = await store.putApi(checked.value, { actor: 'seed' });
      configVersion = Math.max(configVersion, result.configVersion);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    await database.close();
  }
  return { count: o.count, configVersion, durationMs: Date.now() - started };
}
