import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen in time: this file must never change once released (see 0001-initial.ts).

// Every controller replica writes its own row on a timer, so the fleet page shows a dead
// replica too (its row stops moving and turns stale) — runtimes alone cannot show that.
const UP = [
  sql`create table controller_heartbeats (
    controller_id text primary key,
    zone text not null,
    started_at timestamptz not null,
    last_seen_at timestamptz not null,
    config_version bigint check (config_version >= 0),
    config_epoch bigint check (config_epoch >= 0),
    config_hash text,
    build_version text not null default ''
  )`,
];

const DOWN = [sql`drop table controller_heartbeats`];

export const controllerHeartbeats: Migration = {
  async up(db: Kysely<any>) {
    for (const statement of UP) await statement.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const statement of DOWN) await statement.execute(db);
  },
};
