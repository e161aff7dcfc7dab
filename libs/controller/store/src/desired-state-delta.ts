import type { ApiDefinition } from '@gw/api-schema';
import { sql, type RawBuilder } from 'kysely';
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
  /** Who wrote this version (see VersionMark); null when no revision row says. */
  mark: string | null;
}

/**
 * The version the caller's stamps were read at, and that version's `mark` as the read
 * answered it: the transaction id that wrote the version's revision rows. With it, a read
 * looks only at the names written after that version (the revision log, indexed by
 * version) instead of every stored API's stamp, as long as the same transaction still
 * owns that version's rows: a restored database (rows written anew, so other transaction
 * ids) or another epoch takes the whole-stamps path.
 */
export interface VersionMark {
  epoch: number;
  version: number;
  mark: string;
}

/** Where the controller's snapshot refresher reads the desired state as a change. */
export interface DesiredStateSource {
  /**
   * The change since `known` (API name → the stamp the caller holds); with nothing known,
   * the whole state. `since`: the version `known` was read at (then only names written
   * after it are looked at, when the log allows; the answer is the same).
   */
  readDesiredStateDelta(known: ReadonlyMap<string, string>, since?: VersionMark): Promise<DesiredStateDelta>;
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
const stampOf = (table: string) => sql<string>`${sql.ref(`${table}.revision`)}::text || ':' || ${sql.ref(`${table}.xmin`)}::text`;
const stampExpression = stampOf('apis');
const stampColumn = stampExpression.as('stamp');

/**
 * Every stored API's (name, stamp), as one row of text rather than a row per API: with
 * 10,000 APIs, read on every version by every replica, the per-row protocol and parsing
 * were most of the read's cost (issue 13; about half the time). Names cannot hold a line
 * break (the schema's name pattern) and stamps hold no space; should a stored name break
 * that (a row written around the API), the count disagrees and the rows are read one by one.
 */
async function readStamps(trx: repo.Executor): Promise<[name: string, stamp: string][]> {
  const { rows } = await sql<{ n: number; lines: string | null }>`select count(*)::int as n, string_agg(name || ' ' || ${stampExpression}, E'\n') as lines from apis`.execute(trx);
  const { n, lines } = rows[0]!;
  if (n === 0 || lines === null) return [];
  const split = lines.split('\n');
  if (split.length === n) {
    return split.map((line) => {
      const at = line.lastIndexOf(' ');
      return [line.slice(0, at), line.slice(at + 1)];
    });
  }
  const pairs = await trx.selectFrom('apis').select(['name', stampColumn]).execute();
  return pairs.map(({ name, stamp }) => [name, stamp]);
}

/** The transaction id that wrote a version's revision rows (a write's, an apply's), as a scalar subquery: null if it has none. */
const markOf = (version: number | RawBuilder<unknown>) => sql<string | null>`(select xmin::text from api_revisions where config_version = ${version} limit 1)`;

async function versionMark(trx: repo.Executor, version: number): Promise<string | null> {
  const { rows } = await sql<{ mark: string | null }>`select ${markOf(version)} as mark`.execute(trx);
  return rows[0]?.mark ?? null;
}

/** One stored API as the log read answers it: `definition` null when the name has no row any more. */
interface WrittenRow {
  name: string;
  definition: ApiDefinition | null;
  revision: number | null;
  stamp: string | null;
}

/**
 * What was written after `since`, in ONE statement (one snapshot of the database, no
 * transaction, one round trip per version): the current version and epoch, who wrote the
 * current version and `since`'s (marks), and the rows of the names the revision log shows
 * written after `since` (every write of an API row adds a revision row at the version it
 * made, in the same transaction: put, rollback, delete, apply). Undefined when the log
 * cannot say: another epoch, a version behind the caller's, or `since`'s rows written by
 * another transaction than the one the caller read (a restore writes every row anew).
 */
async function readWrittenSince(db: repo.Executor, since: VersionMark): Promise<{ state: ConfigState; mark: string | null; written: WrittenRow[] } | undefined> {
  const { rows } = await sql<{ version: string | number; epoch: string | number; mark: string | null; since_mark: string | null; written: WrittenRow[] }>`
    select s.version, s.epoch,
      ${markOf(sql`s.version`)} as mark,
      ${markOf(since.version)} as since_mark,
      (select coalesce(json_agg(json_build_object('name', w.name, 'definition', a.definition, 'revision', a.revision, 'stamp', ${stampOf('a')})), '[]'::json)
         from (select distinct name from api_revisions where config_version > ${since.version}) w left join apis a on a.name = w.name) as written
    from config_state s where s.id = 1`.execute(db);
  const row = rows[0]!;
  const state: ConfigState = { version: Number(row.version), epoch: Number(row.epoch) };
  if (since.epoch !== state.epoch || since.version > state.version || row.since_mark !== since.mark) return undefined;
  return { state, mark: row.mark, written: row.written };
}

export function createDesiredStateSource(db: repo.Executor, options: ApiStoreOptions = {}): DesiredStateSource {
  const secrets = definitionSecrets(options.secrets);
  return {
    async readDesiredStateDelta(known, since) {
      try {
        const log = known.size === 0 || since === undefined ? undefined : await readWrittenSince(db, since);
        if (log !== undefined) {
          // Proportional to the change: the written names' rows; those without one are removed.
          const changed: StampedDesiredApi[] = [];
          const removed: string[] = [];
          for (const w of log.written) {
            if (w.definition === null) {
              if (known.has(w.name)) removed.push(w.name);
            } else if (known.get(w.name) !== w.stamp) {
              changed.push({ definition: secrets.open(w.definition, `API "${w.name}"`), revision: w.revision!, stamp: w.stamp! });
            }
          }
          return { ...log.state, changed, removed, mark: log.mark };
        }
        return await db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(async (trx) => {
            const state = await repo.readConfigState(trx);
            const mark = await versionMark(trx, state.version);
            const pairs = await readStamps(trx);
            const stored = new Set<string>();
            const names: string[] = [];
            for (const [name, stamp] of pairs) {
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
            return { ...state, changed, removed, mark };
          });
      } catch (err) {
        throw toStoreError(err, 'read desired state delta');
      }
    },
  };
}
