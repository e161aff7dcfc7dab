import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: this file must never change once released (see 0001-initial.ts).

/**
 * One single-API write as one statement, run outside any explicit transaction so the
 * statement is the transaction: it commits as the statement ends, and the client's next
 * network read is its answer. Writers are ordered by the config_state row lock; with the
 * write in one server-side statement, the lock is held only while the server works and
 * flushes the commit, never across a round trip to a controller that a busy machine may
 * not schedule for milliseconds (issue 13: the lock holder spent most of its time
 * "idle in transaction", waiting for its client's next statement).
 *
 * The caller decided the write on a basis read without the lock (the name's highest
 * revision; `p_neighbours`: the names and row versions of the other APIs with the same
 * base path). Under the lock each statement takes a fresh snapshot, so the re-check sees
 * every earlier writer's commit: if the basis moved, it returns no row and changes nothing
 * (the lock alone is released at the end), and the caller decides again.
 */
const UP = [
  // The route neighbours of a write (same base path) are read twice per write, once under
  // the lock: an index, not a scan of every API's definition (10,000 APIs: issue 13).
  sql`create index apis_base_path_idx on apis ((definition->>'basePath'))`,
  sql`create function gw_write_api(
    p_name text, p_definition jsonb, p_action text, p_actor text, p_request_id text,
    p_last_revision integer, p_base_path text, p_neighbours text, p_channel text
  ) returns table (out_version bigint, out_revision integer, out_created_at timestamptz, out_updated_at timestamptz)
  language plpgsql volatile as $$
  declare
    v bigint;
    r integer := p_last_revision + 1;
  begin
    perform 1 from config_state where id = 1 for update;
    if (select coalesce(max(ar.revision), 0) from api_revisions ar where ar.name = p_name) <> p_last_revision then
      return;
    end if;
    if p_base_path is not null and (
      select coalesce(string_agg(n.name || ':' || n.xmin::text, ',' order by n.name collate "C"), '')
      from apis n where n.name <> p_name and n.definition->>'basePath' = p_base_path
    ) <> p_neighbours then
      return;
    end if;
    update config_state set version = version + 1, updated_at = now() where id = 1 returning version into v;
    if p_definition is null then
      delete from apis where name = p_name;
    else
      insert into apis as a (name, revision, definition) values (p_name, r, p_definition)
        on conflict (name) do update set revision = excluded.revision, definition = excluded.definition, updated_at = now();
    end if;
    insert into api_revisions (name, revision, definition, config_version, actor) values (p_name, r, p_definition, v, p_actor);
    insert into audit_log (actor, action, config_version, request_id, api_name, revision) values (p_actor, p_action, v, p_request_id, p_name, r);
    perform pg_notify(p_channel, v::text);
    return query select v, r, (select a.created_at from apis a where a.name = p_name), (select a.updated_at from apis a where a.name = p_name);
  end
  $$`,
];

const DOWN = [sql`drop function gw_write_api(text, jsonb, text, text, text, integer, text, text, text)`, sql`drop index apis_base_path_idx`];

export const writeApiFunction: Migration = {
  async up(db: Kysely<any>) {
    for (const statement of UP) await statement.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const statement of DOWN) await statement.execute(db);
  },
};
