import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: this file must never change once released (see 0001-initial.ts).

// Fleet status shows who each runtime proved to be (mutual TLS): the SPIFFE ID of its
// client certificate and when that certificate expires. Null in insecure mode.
const UP = [sql`alter table runtime_sessions add column identity text`, sql`alter table runtime_sessions add column certificate_not_after timestamptz`];

const DOWN = [sql`alter table runtime_sessions drop column certificate_not_after`, sql`alter table runtime_sessions drop column identity`];

export const runtimeIdentity: Migration = {
  async up(db: Kysely<any>) {
    for (const statement of UP) await statement.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const statement of DOWN) await statement.execute(db);
  },
};
