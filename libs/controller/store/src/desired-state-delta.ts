import { sql } from 'kysely';
import * as repo from './api.repository.js';
import type { ApiStore, ConfigState, DesiredApi } from './api-store.js';
import { definitionSecrets } from './definition-secrets.js';
import { createApiStore, type ApiStoreOptions } from './pg-api-store.js';
import { toStoreError } from './store-error.js';

/** What changed since the revisions a reader holds, read in one consistent snapshot of the database. */
export interface DesiredStateDelta extends ConfigState {
  /** Stored APIs whose revision differs from the known one (new or changed), secrets opened. */
  changed: DesiredApi[];
  /** Known names with no stored API any more. */
  removed: string[];
}

/** Where the controller's snapshot refresher reads the desired state: whole, or as a change. */
export interface DesiredStateSource extends Pick<ApiStore, 'readDesiredState'> {
  /** The change since `known` (API name → the revision the caller holds). */
  readDesiredStateDelta(known: ReadonlyMap<string, number>): Promise<DesiredStateDelta>;
}

/**
 * The incremental read behind the incremental compile: the (name, revision) pairs of all
 * stored APIs, then full rows only for the names whose revision differs from the caller's,
 * both in one repeatable-read transaction so the version matches the rows. A revision
 * never repeats for a name (a re-created API continues its history), so an unchanged
 * revision means unchanged content, and only changed rows are fetched and have their
 * secrets opened.
 */
export function createDesiredStateSource(db: repo.Executor, options: ApiStoreOptions = {}): DesiredStateSource {
  const secrets = definitionSecrets(options.secrets);
  const store = createApiStore(db, options);
  return {
    readDesiredState: () => store.readDesiredState(),
    async readDesiredStateDelta(known) {
      try {
        return await db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(async (trx) => {
            const state = await repo.readConfigState(trx);
            const pairs = await trx.selectFrom('apis').select(['name', 'revision']).execute();
            const stored = new Set<string>();
            const names: string[] = [];
            for (const { name, revision } of pairs) {
              stored.add(name);
              if (known.get(name) !== revision) names.push(name);
            }
            const removed = [...known.keys()].filter((name) => !stored.has(name));
            const rows =
              names.length === 0
                ? []
                : await trx
                    .selectFrom('apis')
                    .select(['definition', 'revision'])
                    .where(sql<boolean>`name = any(${names}::text[])`)
                    .execute();
            const changed = rows.map((api) => ({ ...api, definition: secrets.open(api.definition, `API "${api.definition.name}"`) }));
            return { ...state, changed, removed };
          });
      } catch (err) {
        throw toStoreError(err, 'read desired state delta');
      }
    },
  };
}
