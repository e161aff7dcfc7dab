import { type Selectable, sql } from 'kysely';
import type { AdminTokenTable } from './admin-token.table.js';
import type { Executor } from './api.repository.js';
import type { NewToken, TokenLookup, TokenRecord } from './token-store.js';

type TokenRow = Selectable<AdminTokenTable>;

export function toTokenRecord(row: Omit<TokenRow, 'token_hash'>): TokenRecord {
  return {
    name: row.name,
    role: row.role,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    expiresAt: row.expires_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

const LISTED = ['name', 'role', 'created_at', 'created_by', 'expires_at', 'last_used_at'] as const;

/** Inserts the token; undefined when the name is taken. */
export async function insertToken(trx: Executor, token: NewToken, createdBy: string): Promise<TokenRecord | undefined> {
  const row = await trx
    .insertInto('admin_tokens')
    .values({ name: token.name, role: token.role, token_hash: token.tokenHash, created_by: createdBy, expires_at: token.expiresAt ?? null })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning(LISTED)
    .executeTakeFirst();
  return row === undefined ? undefined : toTokenRecord(row);
}

export async function listTokens(db: Executor): Promise<TokenRecord[]> {
  const rows = await db.selectFrom('admin_tokens').select(LISTED).orderBy(sql`name collate "C"`).execute();
  return rows.map(toTokenRecord);
}

/** Deletes the token; false when there was none by that name. */
export async function deleteToken(trx: Executor, name: string): Promise<boolean> {
  const result = await trx.deleteFrom('admin_tokens').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function findTokenByHash(db: Executor, tokenHash: string): Promise<TokenLookup | undefined> {
  const row = await db
    .selectFrom('admin_tokens')
    .select(['name', 'role', 'last_used_at', sql<boolean>`expires_at is not null and expires_at <= now()`.as('expired')])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row === undefined ? undefined : { name: row.name, role: row.role, expired: row.expired, lastUsedAt: row.last_used_at };
}

/** The condition keeps concurrent requests on several replicas from writing more than once per interval. */
export async function touchToken(db: Executor, name: string, minIntervalMs: number): Promise<void> {
  await db
    .updateTable('admin_tokens')
    .set({ last_used_at: sql<Date>`now()` })
    .where('name', '=', name)
    .where((eb) =>
      eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - make_interval(secs => ${Math.max(0, minIntervalMs) / 1000})`)]),
    )
    .execute();
}
