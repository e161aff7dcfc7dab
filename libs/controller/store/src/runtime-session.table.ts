import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/**
 * Fleet status: one row per runtime, written by the controller replica that holds the
 * runtime's newest config stream (`session_id`). Rows outlive their streams
 * (`connected = false`) so the status API can show runtimes that went away.
 */
export interface RuntimeSessionTable {
  runtime_id: string;
  /** Which stream owns the row: `<controllerId>/<boot id>/<stream id>`. */
  session_id: string;
  zone: string;
  controller_id: string;
  connected: boolean;
  applied_version: number;
  applied_epoch: number;
  applied_hash: string;
  last_nack_version: number | null;
  last_nack_epoch: number | null;
  last_nack_code: string | null;
  last_nack_message: string | null;
  last_nack_at: NullableTimestamp;
  build_version: string;
  peer: string;
  /** The controller's clock when the stream opened: newer sessions take the row over. */
  connected_at: Timestamp;
  /** The database's clock at the last write while connected (heartbeats refresh it). */
  last_seen_at: Timestamp;
  disconnected_at: NullableTimestamp;
  /** The SPIFFE ID of the runtime's client certificate (null: insecure mode). */
  identity: ColumnType<string | null, string | null | undefined, string | null>;
  certificate_not_after: NullableTimestamp;
}
