import { silentLogger, type Logger } from '@gw/logging';
import type { ControllerHeartbeatStore } from '@gw/store';
import { controllersReport, type ControllersReport } from './controller-view.js';
import { RetentionSweepClock } from './retention-sweep.js';
import type { ConfigRef } from './fleet-view.js';

export interface ControllerHeartbeatOptions {
  store: ControllerHeartbeatStore;
  controllerId: string;
  zone: string;
  buildVersion?: string;
  /** This replica's compiled snapshot, read at every beat. */
  localSnapshot: () => ConfigRef | undefined;
  /** How often the row is re-written (FLEET_HEARTBEAT_MS). */
  heartbeatMs: number;
  /** Rows not written for longer are stale (FLEET_STALE_AFTER_MS). */
  staleAfterMs: number;
  /** Rows not written for this long are deleted (FLEET_RETENTION_MS); checked at most once a minute. */
  retentionMs: number;
  logger?: Logger;
  /** The process start (default: when this object is made). */
  startedAt?: Date;
}

/**
 * This replica's row in `controller_heartbeats`: written at start and every heartbeat, so
 * every replica (and the fleet page) sees which replicas are alive, in which zone, serving
 * which snapshot. A failed write is logged once per outage and simply retried at the next
 * beat; a replica that stops writing turns stale on every other replica's list.
 */
export class ControllerHeartbeat {
  readonly #o: ControllerHeartbeatOptions;
  readonly #logger: Logger;
  readonly #startedAt: Date;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #failing = false;
  readonly #sweep: RetentionSweepClock;
  #stopped = false;

  constructor(options: ControllerHeartbeatOptions) {
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
    this.#startedAt = options.startedAt ?? new Date();
    this.#sweep = new RetentionSweepClock(options.heartbeatMs);
  }

  /** Writes the first beat now (not awaited: a database that is down must not hold the start) and then on a timer. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#o.heartbeatMs);
    this.#timer.unref();
  }

  /** One beat (and, at most once a minute, the retention sweep); never rejects. */
  beat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  /** The replicas as the database holds them, judged stale or live. */
  async report(): Promise<ControllersReport> {
    return controllersReport(await this.#o.store.list(), { staleAfterMs: this.#o.staleAfterMs, selfId: this.#o.controllerId });
  }

  /** Stops the timer and waits for a beat in flight. The row stays: it turns stale, which is what a stopped replica is. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#beating;
  }

  async #beat(): Promise<void> {
    try {
      await this.#o.store.beat({
        controllerId: this.#o.controllerId,
        zone: this.#o.zone,
        startedAt: this.#startedAt,
        snapshot: this.#o.localSnapshot(),
        buildVersion: this.#o.buildVersion ?? '',
      });
      if (this.#failing) this.#logger.info({}, 'controller heartbeat writes recovered');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#logger.warn({ err }, 'controller heartbeat write failed; retrying at the next beat');
      this.#failing = true;
      return;
    }
    if (this.#sweep.due()) {
      try {
        const n = await this.#o.store.forget(this.#o.retentionMs);
        if (n > 0) this.#logger.info({ forgotten: n, retentionMs: this.#o.retentionMs }, 'forgot controllers not seen within the retention time');
      } catch (err) {
        this.#logger.debug({ err }, 'forgetting old controllers failed');
      }
    }
  }
}
