import type { ColumnType } from 'kysely';
import type { TokenRole } from './token-store.js';

/**
 * Named deploy-API tokens. `token_hash` is the SHA-256 (hex) of the whole secret: the
 * secret is 32 random bytes, so a fast hash is enough (nothing to brute-force) and a
 * lookup by hash is one index probe.
 */
export interface AdminTokenTable {
  name: ColumnType<string, string, never>;
  role: ColumnType<TokenRole, TokenRole, never>;
  token_hash: ColumnType<string, string, never>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  created_by: ColumnType<string, string, never>;
  expires_at: ColumnType<Date | null, Date | null | undefined, never>;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date>;
}
