import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: this file must never change once released (see 0001-initial.ts).

const UP = [
  // Named deploy-API tokens. Only the SHA-256 of the secret is stored (see admin-token.table.ts).
  sql`create table admin_tokens (
    name text primary key,
    role text not null check (role in ('viewer', 'deployer', 'admin')),
    token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz not null default now(),
    created_by text not null,
    expires_at timestamptz,
    last_used_at timestamptz
  )`,
  // Every audit entry names the request that made it; token changes are audited too.
  sql`alter table audit_log add column request_id text`,
  sql`alter table audit_log add column token_name text`,
  sql`alter table audit_log drop constraint audit_log_action_check`,
  sql`alter table audit_log add constraint audit_log_action_check check (action in ('put', 'delete', 'epoch', 'token_create', 'token_revoke'))`,
  sql`alter table audit_log drop constraint audit_log_subject_check`,
  // Any action that is neither the epoch nor a token change is about an API revision, so a
  // later API action (rollback, apply) only has to extend the action list above.
  sql`alter table audit_log add constraint audit_log_subject_check check (
    (action = 'epoch' and api_name is null and revision is null and epoch is not null and token_name is null)
    or (action in ('token_create', 'token_revoke') and api_name is null and revision is null and epoch is null and token_name is not null)
    or (action not in ('epoch', 'token_create', 'token_revoke') and api_name is not null and revision is not null and token_name is null)
  )`,
  sql`create index audit_log_actor_idx on audit_log (actor, id)`,
];

const DOWN = [
  // The audit log is append-only: refuse rather than delete evidence the old schema cannot hold.
  sql`do $$ begin
    if exists (select 1 from audit_log where action in ('token_create', 'token_revoke')) then
      raise exception 'audit_log holds token entries; cannot migrate down without losing them';
    end if;
  end $$`,
  sql`drop index audit_log_actor_idx`,
  sql`alter table audit_log drop constraint audit_log_subject_check`,
  sql`alter table audit_log add constraint audit_log_subject_check check (
    (action = 'epoch' and api_name is null and revision is null and epoch is not null)
    or (action <> 'epoch' and api_name is not null and revision is not null)
  )`,
  sql`alter table audit_log drop constraint audit_log_action_check`,
  sql`alter table audit_log add constraint audit_log_action_check check (action in ('put', 'delete', 'epoch'))`,
  sql`alter table audit_log drop column token_name`,
  sql`alter table audit_log drop column request_id`,
  sql`drop table admin_tokens`,
];

export const adminTokens: Migration = {
  async up(db: Kysely<any>) {
    for (const statement of UP) await statement.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const statement of DOWN) await statement.execute(db);
  },
};
