import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: this file must never change once released (see 0001-initial.ts).

const UP = [
  // Fleet status: one row per runtime, owned by its newest stream (see runtime-session.repository.ts).
  sql`create table runtime_sessions (
    runtime_id text primary key,
    session_id text not null,
    zone text not null,
    controller_id text not null,
    connected boolean not null,
    applied_version bigint not null default 0 check (applied_version >= 0),
    applied_epoch bigint not null default 0 check (applied_epoch >= 0),
    applied_hash text not null default '',
    last_nack_version bigint,
    last_nack_epoch bigint,
    last_nack_code text,
    last_nack_message text,
    last_nack_at timestamptz,
    build_version text not null default '',
    peer text not null default '',
    connected_at timestamptz not null,
    last_seen_at timestamptz not null,
    disconnected_at timestamptz
  )`,
  sql`create index runtime_sessions_zone_idx on runtime_sessions (zone, runtime_id)`,
  // A fleet epoch bump is audited too: it names no API and no revision, but the epoch it set.
  sql`alter table audit_log drop constraint audit_log_action_check`,
  sql`alter table audit_log add constraint audit_log_action_check check (action in ('put', 'delete', 'epoch'))`,
  sql`alter table audit_log alter column api_name drop not null`,
  sql`alter table audit_log alter column revision drop not null`,
  sql`alter table audit_log add column epoch bigint`,
  sql`alter table audit_log add constraint audit_log_subject_check check (
    (action = 'epoch' and api_name is null and revision is null and epoch is not null)
    or (action <> 'epoch' and api_name is not null and revision is not null)
  )`,
];

const DOWN = [
  sql`alter table audit_log drop constraint audit_log_subject_check`,
  // Epoch entries cannot be expressed in the old schema; the audit log is append-only, so refuse rather than delete evidence.
  sql`do $$ begin
    if exists (select 1 from audit_log where action = 'epoch') then
      raise exception 'audit_log holds epoch entries; cannot migrate down without losing them';
    end if;
  end $$`,
  sql`alter table audit_log drop column epoch`,
  sql`alter table audit_log alter column revision set not null`,
  sql`alter table audit_log alter column api_name set not null`,
  sql`alter table audit_log drop constraint audit_log_action_check`,
  sql`alter table audit_log add constraint audit_log_action_check check (action in ('put', 'delete'))`,
  sql`drop table runtime_sessions`,
];

export const runtimeSessions: Migration = {
  async up(db: Kysely<any>) {
    for (const statement of UP) await statement.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const statement of DOWN) await statement.execute(db);
  },
};
