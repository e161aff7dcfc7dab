import { randomBytes } from 'node:crypto';
import { backoffDelay } from '@gw/backoff';
import type { ConfigServerCallbacks, RuntimeSession } from '@gw/config-server';
import { silentLogger, type Logger } from '@gw/logging';
import type { FleetStore, RuntimeSessionRecord } from '@gw/store';
import { RetentionSweepClock } from './retention-sweep.js';

/**
 * How long the recorder gathers fleet events (ACKs, NACKs, closes; opens go at the next
 * turn) before writing them all in one statement. One write per interval however many runtimes changed: a
 * deploy that 500 runtimes ACK, or a resync storm, costs a handful of statements, not 500.
 */
export const FLEET_FLUSH_INTERVAL_MS = 200;

export interface SessionRecorderOptions {
  store: Pick<FleetStore, 'recordSessions' | 'forgetRuntimes'>;
  controllerId: string;
  /** Events are gathered this long before one write (default FLEET_FLUSH_INTERVAL_MS). */
  flushIntervalMs?: number;
  /** How often live sessions are re-written, refreshing their last-seen time (default 5000 ms). */
  heartbeatMs?: number;
  /** A row not refreshed for this long is stale and may be taken over (default 3 heartbeats). */
  staleAfterMs?: number;
  /** Runtimes not seen for this long are deleted (default 24 h); checked at most once a minute. */
  retentionMs?: number;
  logger?: Logger;
  /** Called after each successful write, e.g. to wake waiters. */
  onFlushed?: () => void;
  /** Called after each failed write (the changes stay pending and are retried). */
  onWriteFailed?: (err: unknown) => void;
  /** Distinguishes this process's streams from an earlier run with the same controller id (default random). */
  bootId?: string;
}

export interface SessionRecorderStats {
  /** Runtimes with a change not yet written. */
  pending: number;
  /** Successful write rounds. */
  writes: number;
  /** Failed write rounds. */
  failures: number;
  lastError: string | undefined;
}

interface Pending {
  session: Readonly<RuntimeSession>;
  connected: boolean;
  disconnectedAt: Date | undefined;
}

// Runtime-supplied strings go into the database: bound them. A NACK's code and message
// are bounded once, where the config stream receives them (StreamLimits, NACK_CODE_MAX_BYTES).
const LIMITS = { id: 256, zone: 128, build: 128, peer: 256 };
const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/**
 * Records every runtime session in PostgreSQL from the config server's callbacks
 * (open, ACK, NACK, close) plus a heartbeat for live ones. Writes never block or break a
 * stream: callbacks only mark the runtime dirty; one writer at a time upserts all dirty
 * runtimes in one statement per FLEET_FLUSH_INTERVAL_MS (newest state per runtime: bursts
 * coalesce), except stream opens, written at the next turn so a new runtime is listed
 * before a status wait on another replica looks (opens are admitted at most
 * CONFIG_ADMIT_PER_SECOND a second, and one write is in flight at a time; a NACK rides in the session's state and the store never erases a recorded one). A failed write
 * (database down) keeps the changes and retries with backoff; the heartbeat re-writes
 * every live session anyway, so the table heals after any outage.
 */
export class RuntimeSessionRecorder {
  readonly #store: SessionRecorderOptions['store'];
  readonly #controllerId: string;
  readonly #bootId: string;
  readonly #heartbeatMs: number;
  readonly #sweep: RetentionSweepClock;
  readonly #flushIntervalMs: number;
  readonly #staleAfterMs: number;
  readonly #retentionMs: number;
  readonly #logger: Logger;
  readonly #onFlushed: () => void;
  readonly #onWriteFailed: (err: unknown) => void;
  readonly #live = new Map<number, Readonly<RuntimeSession>>();
  readonly #pending = new Map<string, Pending>();
  #flushing: Promise<void> | undefined;
  #again = false;
  #scheduled: NodeJS.Timeout | undefined;
  /** A stream open is queued: the next write goes at the next turn, not one interval later. */
  #openQueued = false;
  /** The scheduled write is the next-turn one. */
  #scheduledSoon = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failStreak = 0;
  #stopped = false;
  #stats: SessionRecorderStats = { pending: 0, writes: 0, failures: 0, lastError: undefined };

  /** Pass these to the ConfigServer (alone or through combineCallbacks). */
  readonly callbacks: ConfigServerCallbacks;

  constructor(options: SessionRecorderOptions) {
    this.#store = options.store;
    this.#controllerId = options.controllerId;
    this.#bootId = options.bootId ?? randomBytes(4).toString('hex');
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#sweep = new RetentionSweepClock(this.#heartbeatMs);
    this.#flushIntervalMs = options.flushIntervalMs ?? FLEET_FLUSH_INTERVAL_MS;
    this.#staleAfterMs = options.staleAfterMs ?? 3 * this.#heartbeatMs;
    this.#retentionMs = options.retentionMs ?? 86_400_000;
    this.#logger = options.logger ?? silentLogger;
    this.#onFlushed = options.onFlushed ?? (() => undefined);
    this.#onWriteFailed = options.onWriteFailed ?? (() => undefined);
    this.callbacks = {
      onStreamOpen: (s) => {
        this.#live.set(s.streamId, s);
        // A new stream is written at once: a status wait on any replica counts only the
        // runtimes the table lists, so a runtime must not stay unlisted for an interval.
        this.#openQueued = true;
        this.#mark(s, true);
      },
      onAck: (s) => this.#mark(s, true),
      onNack: (s) => this.#mark(s, true),
      onStreamClosed: (s) => {
        this.#live.delete(s.streamId);
        this.#mark(s, false);
      },
    };
  }

  get stats(): Readonly<SessionRecorderStats> {
    return { ...this.#stats, pending: this.#pending.size };
  }

  /** The stream's id in the fleet table: unique across replicas and restarts. */
  sessionId(session: Pick<RuntimeSession, 'streamId'>): string {
    return `${this.#controllerId}/${this.#bootId}/${session.streamId}`;
  }

  /** Starts the heartbeat. */
  start(): void {
    if (this.#heartbeat || this.#stopped) return;
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  /**
   * Stops the heartbeat and writes what is pending (e.g. the closes of a shutdown),
   * waiting at most `timeoutMs`: a database that is down must not hold a shutdown.
   */
  async stop(timeoutMs = 2_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([this.flush(), deadline]);
    clearTimeout(timer);
  }

  /** Writes everything pending now; resolves when a write that started after this call has finished. */
  flush(): Promise<void> {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      // What arrived during the write goes out one interval later, opens at once (a failed write has its retry instead).
      if (this.#pending.size > 0) this.#schedule();
    });
    return this.#flushing;
  }

  #mark(session: Readonly<RuntimeSession>, connected: boolean): void {
    const queued = this.#pending.get(session.runtimeId);
    // A close of an older stream must not replace a newer stream's state queued for the same runtime.
    if (!connected && queued && queued.session !== session && isNewer(queued.session, session)) return;
    this.#pending.set(session.runtimeId, { session, connected, disconnectedAt: connected ? undefined : new Date() });
    this.#schedule();
  }

  /**
   * Coalesces the events of one interval (e.g. many ACKs after a deploy, a resync storm)
   * into one write; a write in flight or a pending retry already covers what is queued.
   */
  #schedule(): void {
    if (this.#stopped || this.#flushing || this.#retry) return;
    const soon = this.#openQueued;
    if (this.#scheduled && (this.#scheduledSoon || !soon)) return;
    // Opens go at the next turn (those of one turn together; during a write, right after
    // it: one write in flight, so a resync storm costs about one statement per write time);
    // ACKs, NACKs and closes wait for the interval.
    clearTimeout(this.#scheduled);
    this.#scheduledSoon = soon;
    this.#scheduled = setTimeout(
      () => {
        this.#scheduled = undefined;
        void this.flush();
      },
      soon ? 0 : this.#flushIntervalMs,
    );
    this.#scheduled.unref();
  }

  #beat(): void {
    for (const s of this.#live.values()) {
      if (!this.#pending.has(s.runtimeId)) this.#pending.set(s.runtimeId, { session: s, connected: true, disconnectedAt: undefined });
    }
    if (this.#pending.size > 0) this.#schedule();
    if (this.#sweep.due()) {
      this.#store.forgetRuntimes(this.#retentionMs).then(
        (n) => n > 0 && this.#logger.info({ forgotten: n, retentionMs: this.#retentionMs }, 'forgot runtimes not seen within the retention time'),
        (err: unknown) => this.#logger.debug({ err }, 'forgetting old runtimes failed'),
      );
    }
  }

  async #flush(): Promise<void> {
    clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    do {
      this.#again = false;
      if (this.#pending.size === 0) return;
      this.#openQueued = false;
      const batch = [...this.#pending.entries()];
      try {
        await this.#store.recordSessions(
          batch.map(([, p]) => this.#record(p)),
          { takeOverAfterMs: this.#staleAfterMs },
        );
      } catch (err) {
        this.#failed(err);
        return;
      }
      // Only what did not change while the write was in flight is done.
      for (const [runtimeId, p] of batch) if (this.#pending.get(runtimeId) === p) this.#pending.delete(runtimeId);
      this.#stats.writes++;
      if (this.#failStreak > 0) this.#logger.info({ failures: this.#failStreak }, 'fleet status writes recovered');
      this.#failStreak = 0;
      this.#stats.lastError = undefined;
      try {
        this.#onFlushed();
      } catch (err) {
        this.#logger.warn({ err }, 'fleet status flush listener failed');
      }
      // An explicit flush() during the write wants what it queued written now; events
      // that arrived meanwhile wait for the next interval (one statement per interval).
    } while (this.#again || (this.#stopped && this.#pending.size > 0));
  }

  #failed(err: unknown): void {
    this.#failStreak++;
    this.#stats.failures++;
    this.#stats.lastError = err instanceof Error ? err.message : String(err);
    try {
      this.#onWriteFailed(err);
    } catch {
      // A listener's failure must not stop the retry below.
    }
    // Loud once, quiet while the outage lasts; the changes stay pending.
    if (this.#failStreak === 1) this.#logger.warn({ err, pending: this.#pending.size }, 'fleet status write failed; retrying');
    else this.#logger.debug({ err, failures: this.#failStreak, pending: this.#pending.size }, 'fleet status write failed again');
    if (this.#stopped) return;
    clearTimeout(this.#retry);
    // Jittered, so the replicas that lost the database together do not retry together; the
    // floor keeps a draw of 0 ms from retrying a write that just failed at once.
    const delay = backoffDelay(this.#failStreak - 1, { baseMs: 250, capMs: this.#heartbeatMs, floorMs: 125 });
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.flush();
    }, delay);
    this.#retry.unref();
  }

  #record(p: Pending): RuntimeSessionRecord {
    const s = p.session;
    const nack = s.lastNack;
    return {
      runtimeId: cut(s.runtimeId, LIMITS.id),
      sessionId: this.sessionId(s),
      zone: cut(s.zone, LIMITS.zone),
      controllerId: this.#controllerId,
      buildVersion: cut(s.buildVersion, LIMITS.build),
      peer: cut(s.peer, LIMITS.peer),
      connected: p.connected,
      connectedAt: s.connectedAt,
      disconnectedAt: p.disconnectedAt,
      applied: { version: s.applied.version, epoch: s.applied.epoch, hash: cut(s.applied.hash, LIMITS.id) },
      lastNack: nack
        ? { version: nack.version, epoch: nack.epoch, code: nack.code, message: nack.message, at: nack.at }
        : undefined,
      identity: s.identity,
      certificateNotAfter: s.certificateNotAfter,
    };
  }
}

function isNewer(a: Readonly<RuntimeSession>, b: Readonly<RuntimeSession>): boolean {
  const ta = a.connectedAt.getTime();
  const tb = b.connectedAt.getTime();
  return ta !== tb ? ta > tb : a.streamId > b.streamId;
}
