/** What a controller replica says about itself on every heartbeat. */
export interface ControllerHeartbeatRecord {
  controllerId: string;
  zone: string;
  startedAt: Date;
  /** The snapshot it compiled and serves; undefined before its first compile. */
  snapshot: { version: number; epoch: number; hash: string } | undefined;
  buildVersion: string;
}

/** One replica as the database holds it. */
export interface ControllerHeartbeatRow {
  controllerId: string;
  zone: string;
  startedAt: Date;
  /** The database's clock at the replica's last heartbeat. */
  lastSeenAt: Date;
  snapshot: { version: number; epoch: number; hash: string } | null;
  buildVersion: string;
}

export interface ControllerHeartbeats {
  /** The database's `now()`, so staleness is judged on one clock. */
  now: Date;
  /** Ordered by zone, then controller id (byte order). */
  controllers: ControllerHeartbeatRow[];
}

/** The controller-heartbeat port. Errors are GatewayErrors (GW_DATABASE_UNAVAILABLE or GW_INTERNAL). */
export interface ControllerHeartbeatStore {
  /** Upserts the replica's row; `last_seen_at` becomes the database's `now()`. */
  beat(record: ControllerHeartbeatRecord): Promise<void>;
  list(): Promise<ControllerHeartbeats>;
  /** Deletes replicas not seen for `olderThanMs`; returns how many. */
  forget(olderThanMs: number): Promise<number>;
}
