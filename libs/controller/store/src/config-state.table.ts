import type { ColumnType, Generated } from 'kysely';

/** The single fleet-wide row (id = 1): every write bumps `version` in its own transaction. */
export interface ConfigStateTable {
  id: ColumnType<number, number, never>;
  version: number;
  /** Bumped only by a deliberate restore, so runtimes accept an older version once. */
  epoch: Generated<number>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
