import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: this file must never change once released (see 0001-initial.ts).

const UP = [
  // `POST /v1/apply` and `POST /v1/apis/{name}/rollback` are audited as themselves; both are
  // about an API revision, which 0003's subject check already requires of them.
  sql`alter table audit_log drop constraint audit_log_action_check`,
  sql`alter table audit_log add constraint audit_log_action_check check (action in ('put', 'delete', 'epoch', 'token_create', 'token_revoke', 'apply', 'rollback'))`,
];

const DOWN = [
  // The audit log is append-only: refuse rather than delete evidence the old schema cannot hold.
  sql`do $$ begin
    if exists (select 1 from audit_log where action in ('apply', 'rollback')) then
      raise exception 'audit_log holds apply or rollback entries; cannot migrate down without losing them';
    end if;
  end $$`,
  sql`alter table audit_log drop constraint audit_log_action_check`,
  sql`alter table audit_log add constraint audit_log_action_check check (action in ('put', 'delete', 'epoch', 'token_create', 'token_revoke'))`,
];

export const applyRollbackAudit: Migration = {
  async up(db: Kysely<any>) {
    for (const statement of UP) await statement.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const statement of DOWN) await statement.execute(db);
  },
};
