import { sql } from 'kysely';
import * as repo from './api.repository.js';
import type { ConfigState, DesiredApi } from './api-store.js';
import { definitionSecrets } from './definition-secrets.js';
import type { ApiStoreOptions } from './pg-api-store.js';
import { toStoreError } from './store-error.js';

/** A stored API with the stamp of its row version (see createDesiredStateSource). */
export interface StampedDesiredApi extends DesiredApi {
  stamp: string;
}

/** What changed since the stamps a reader holds, read in one consistent snapshot of the database. */
export interface DesiredStateDelta extends ConfigState {
  /** Stored APIs whose stamp differs from the known one (new, changed or rewritten), secrets opened. */
  changed: StampedDesiredApi[];
  /** Known names with no stored API any more. */
  removed: string[];
}

/** Where the controller's snapshot refresher reads the desired state as a change. */
export interface DesiredStateSource {
  /** The change since `known` (API name → the stamp the caller holds); with nothing known, the whole state. */
  readDesiredStateDelta(known: ReadonlyMap<string, string>): Promise<DesiredStateDelta>;
}

/**
 * The incremental read behind the incremental compile: the (name, stamp) pairs of all
 * stored APIs, then full rows only for the names whose stamp differs from the caller's,
 * both in one repeatable-read transaction so the version matches the rows. Only changed
 * rows are fetched and have their secrets opened.
 *
 * The stamp is the API's revision plus the row version's `xmin` (the transaction that
 * wrote it). The revision alone never repeats for a name while the history lasts, but a
 * database restored from a backup can give a name a revision again with other content (a
 * write after the restore, before the epoch bump); the row was rewritten then, so its
 * `xmin` differs and it is read again. Anything that rewrites rows (a restore, a reseal)
 * costs a re-read, never a stale compile.
 */
const stampColumn = sql<string>`revision::text || ':' || xmin::text`.as('stamp');

export function createDesiredStateSource(db: repo.Executor, options: ApiStoreOptions = {}): DesiredStateSource {
  const secrets = definitionSecrets(options.secrets);
  return {
    async readDesiredStateDelta(known) {
      try {
        return await db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(async (trx) => {
            const state = await repo.readConfigState(trx);
            const pairs = await trx.selectFrom('apis').select(['name', stampColumn]).execute();
            const stored = new Set<string>();
            const names: string[] = [];
            for (const { name, stamp } of pairs) {
              stored.add(name);
              if (known.get(name) !== stamp) names.push(name);
            }
            const removed = [...known.keys()].filter((name) => !stored.has(name));
            const rows =
              names.length === 0
                ? []
                : names.length === pairs.length
                  ? await trx.selectFrom('apis').select(['definition', 'revision', stampColumn]).execute()
                  : await trx
                      .selectFrom('apis')
                      .select(['definition', 'revision', stampColumn])
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
