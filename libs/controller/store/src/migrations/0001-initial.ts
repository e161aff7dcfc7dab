import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: this file must never change once released. It talks to `Kysely<any>`
// because the current schema types describe the latest state, not this one.

const UP = [
  sql`create table config_state (
    id smallint primary key check (id = 1),
    version bigint not null check (version >= 0),
    epoch bigint not null default 1 check (epoch >= 1),
    updated_at timestamptz not null default now()
  )`,
  sql`insert into config_state (id, version, epoch) values (1, 0, 1)`,
  sql`create table apis (
    name text primary key,
    revision integer not null check (revision >= 1),
    definition jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  sql`create table api_revisions (
    name text not null,
    revision integer not null check (revision >= 1),
    definition jsonb,
    config_version bigint not null,
    actor text not null,
    created_at timestamptz not null default now(),
    primary key (name, revision)
  )`,
  sql`create index api_revisions_config_version_idx on api_revisions (config_version)`,
  sql`create table audit_log (
    id bigserial primary key,
    at timestamptz not null default now(),
    actor text not null,
    action text not null check (action in ('put', 'delete')),
    api_name text not null,
    revision integer not null,
    config_version bigint not null
  )`,
  sql`create index audit_log_api_name_idx on audit_log (api_name, id)`,
  // History and audit are evidence: the database itself refuses to rewrite them.
  sql`create function gw_reject_history_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only', tg_table_name using errcode = 'P0001';
    end
  $$`,
  sql`create trigger api_revisions_append_only before update or delete on api_revisions
    for each row execute function gw_reject_history_change()`,
  sql`create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function gw_reject_history_change()`,
];

const DOWN = [
  sql`drop table audit_log`,
  sql`drop table api_revisions`,
  sql`drop function gw_reject_history_change()`,
  sql`drop table apis`,
  sql`drop table config_state`,
];

export const initial: Migration = {
  async up(db: Kysely<any>) {
    for (const statement of UP) await statement.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const statement of DOWN) await statement.execute(db);
  },
};
