import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/**
 * One row per controller replica, re-written by the replica itself every heartbeat
 * (`last_seen_at` is the database's clock), so a replica that died shows as stale.
 */
export interface ControllerHeartbeatTable {
  controller_id: string;
  zone: string;
  /** When this process started (its own clock); a restart with the same id moves it. */
  started_at: Timestamp;
  last_seen_at: Timestamp;
  /** The snapshot the replica compiled and serves; null before its first compile. */
  config_version: number | null;
  config_epoch: number | null;
  config_hash: string | null;
  build_version: string;
}
