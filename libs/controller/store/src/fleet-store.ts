import type { ConfigState } from './api-store.js';
import type { AuditContext } from './audit.repository.js';

/** A config a runtime refused, as it reported it. */
export interface RuntimeNack {
  version: number;
  epoch: number;
  code: string;
  message: string;
  at: Date;
}

/** What a controller replica knows about one runtime's config stream, to be recorded. */
export interface RuntimeSessionRecord {
  runtimeId: string;
  /** Unique per stream across replicas and restarts: `<controllerId>/<boot id>/<stream id>`. */
  sessionId: string;
  zone: string;
  controllerId: string;
  buildVersion: string;
  peer: string;
  connected: boolean;
  /** The replica's clock when the stream opened; the newest session owns the runtime's row. */
  connectedAt: Date;
  /**
   * When the stream ended (the replica's clock); undefined while connected. A connected
   * record's last-seen time is the database's `now()` at the write, so every replica
   * judges staleness on one clock.
   */
  disconnectedAt: Date | undefined;
  applied: { version: number; epoch: number; hash: string };
  /** The stream's last NACK; undefined keeps the NACK already recorded for the runtime. */
  lastNack: RuntimeNack | undefined;
  /** The SPIFFE ID its client certificate proved, and that certificate's expiry (undefined: insecure mode). */
  identity?: string;
  certificateNotAfter?: Date;
}

/** One runtime as the database holds it. */
export interface RuntimeSessionRow {
  runtimeId: string;
  sessionId: string;
  zone: string;
  controllerId: string;
  buildVersion: string;
  peer: string;
  connected: boolean;
  connectedAt: Date;
  lastSeenAt: Date;
  disconnectedAt: Date | null;
  applied: { version: number; epoch: number; hash: string };
  lastNack: RuntimeNack | null;
  /** Null in insecure mode (and for rows written before migration 0004). */
  identity?: string | null;
  certificateNotAfter?: Date | null;
}

/** The fleet and the config state read together, with the database's clock. */
export interface FleetState {
  config: ConfigState;
  /** The database's `now()`, so every replica judges staleness on the same clock. */
  now: Date;
  /** Ordered by zone, then runtime id (byte order). */
  runtimes: RuntimeSessionRow[];
}

export interface RecordSessionsOptions {
  /**
   * A connected record also takes over a row whose owner has not been seen for this long
   * (its replica died without closing the stream). Normally 3 heartbeat intervals.
   */
  takeOverAfterMs: number;
}

/** Who asked (actor, request id), for the audit log. */
export interface BumpEpochOptions extends AuditContext {
  /** Optimistic concurrency: bump only if the epoch is still this one (else GW_PRECONDITION_FAILED). */
  expectedEpoch?: number;
}

export interface EpochBumpResult {
  epoch: number;
  configVersion: number;
}

/**
 * The fleet-status port. Errors are GatewayErrors: GW_PRECONDITION_FAILED (bumpEpoch),
 * GW_DATABASE_UNAVAILABLE or GW_INTERNAL.
 */
export interface FleetStore {
  /**
   * Upserts the runtimes' rows. A record changes a row only if its session owns the row,
   * or (when connected) the row's session is closed, older or stale: a late close from a
   * replica the runtime has left never marks it disconnected. Returns the rows changed.
   */
  recordSessions(records: readonly RuntimeSessionRecord[], options: RecordSessionsOptions): Promise<number>;
  /** Every recorded runtime with the config state, in one consistent read. */
  readFleet(): Promise<FleetState>;
  /**
   * The (epoch, version) of the last config the runtime NACKed, as recorded by any replica:
   * a replica it fails over to does not send that version again.
   */
  lastNack(runtimeId: string): Promise<{ epoch: number; version: number } | undefined>;
  /** The last NACKs of many runtimes in one read (runtimes without one are absent): batched recalls of a resync storm. */
  lastNacks(runtimeIds: readonly string[]): Promise<Map<string, { epoch: number; version: number }>>;
  /** Deletes runtimes not seen for `olderThanMs` (connected or not); returns how many. */
  forgetRuntimes(olderThanMs: number): Promise<number>;
  /**
   * A deliberate restore: one transaction bumps the epoch and the config version (to above
   * every version the database or any recorded runtime has seen, so change feeds notice
   * it even after a backup put the version back), writes an audit entry and notifies.
   */
  bumpEpoch(options: BumpEpochOptions): Promise<EpochBumpResult>;
}
