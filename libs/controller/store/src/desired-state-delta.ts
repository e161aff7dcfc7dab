import { sql } from 'kysely';
import type { ApiDefinition } from '@gw/api-schema';
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
 * The incremental read behind the incremental compile, as ONE statement (one snapshot, so
 * the version always matches the rows; one round trip, where a repeatable-read transaction
 * took five, each a wake-up of a busy controller): the caller's (name, stamp) pairs go in
 * as two arrays, and out come the config state, the full rows only for the names whose
 * stamp differs (new, changed or rewritten), and the known names with no stored API any
 * more. Only changed rows are sent and have their secrets opened.
 *
 * The stamp is the API's revision plus the row version's `xmin` (the transaction that
 * wrote it). The revision alone never repeats for a name while the history lasts, but a
 * database restored from a backup can give a name a revision again with other content (a
 * write after the restore, before the epoch bump); the row was rewritten then, so its
 * `xmin` differs and it is read again. Anything that rewrites rows (a restore, a reseal)
 * costs a re-read, never a stale compile.
 */
export function createDesiredStateSource(db: repo.Executor, options: ApiStoreOptions = {}): DesiredStateSource {
  const secrets = definitionSecrets(options.secrets);
  return {
    async readDesiredStateDelta(known) {
      try {
        const names = [...known.keys()];
        const stamps = names.map((name) => known.get(name)!);
        const { rows } = await sql<{ version: number; epoch: number; changed: { definition: ApiDefinition; revision: number; stamp: string }[] | null; removed: string[] | null }>`
          with known as (select k.name, k.stamp from unnest(${names}::text[], ${stamps}::text[]) as k(name, stamp))
          select s.version, s.epoch,
            (select json_agg(json_build_object('definition', a.definition, 'revision', a.revision, 'stamp', a.revision::text || ':' || a.xmin::text))
               from apis a left join known k on k.name = a.name
              where k.stamp is distinct from a.revision::text || ':' || a.xmin::text) as changed,
            (select array_agg(k.name) from known k where not exists (select 1 from apis a where a.name = k.name)) as removed
          from config_state s where s.id = 1
        `.execute(db);
        const row = rows[0]!;
        const changed = (row.changed ?? []).map((api) => ({ ...api, definition: secrets.open(api.definition, `API "${api.definition.name}"`) }));
        return { version: row.version, epoch: row.epoch, changed, removed: row.removed ?? [] };
      } catch (err) {
        throw toStoreError(err, 'read desired state delta');
      }
    },
  };
}
