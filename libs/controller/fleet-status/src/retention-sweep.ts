/** Deleting rows older than the retention time scans a table: at most once a minute, and never more often than the heartbeat. */
export const RETENTION_SWEEP_MIN_INTERVAL_MS = 60_000;

/** When a heartbeat should also run the retention sweep (the runtime and the controller rows use the same rule). */
export class RetentionSweepClock {
  #last = 0;

  constructor(private readonly heartbeatMs: number) {}

  /** True (and the sweep counted as started now) when the last one is at least the interval ago. */
  due(): boolean {
    const now = Date.now();
    if (now - this.#last < Math.max(RETENTION_SWEEP_MIN_INTERVAL_MS, this.heartbeatMs)) return false;
    this.#last = now;
    return true;
  }
}
