import { Backoff } from '@gw/backoff';
import { type Logger, silentLogger } from '@gw/logging';
import { CONFIG_CHANNEL } from '@gw/store';
import pg from 'pg';
import { probeCrossConnectionNotify } from './notify-probe.js';
import { VersionFollower } from './version-follower.js';

export type ChangeFeedMode = 'listen' | 'poll' | 'auto';
/** The mode a feed runs in once `auto` is resolved. */
export type ResolvedChangeFeedMode = Exclude<ChangeFeedMode, 'auto'>;

export interface ChangeFeedOptions {
  /** Where the LISTEN connection goes (unused in poll mode). */
  connectionString: string;
  /** Default `gateway_config`, the channel every store write notifies. */
  channel?: string;
  /** The truth: reads the current config version (e.g. `store.readConfigState()`). */
  readVersion: () => Promise<number>;
  /** Called with each newer version, one at a time (see VersionFollower). */
  onVersion: (version: number) => void | Promise<void>;
  /** Safety net against lost notifications, in both modes (default 1000 ms). */
  pollIntervalMs?: number;
  /**
   * `listen` (default) keeps one LISTEN connection as a doorbell. `poll` never opens it:
   * for databases such as PGlite that do not deliver NOTIFY across connections. `auto`
   * probes at start (see probeCrossConnectionNotify) and picks one of the two.
   */
  mode?: ChangeFeedMode;
  /** How long the `auto` probe waits for its notification (default 1000 ms). */
  probeTimeoutMs?: number;
  logger?: Logger;
  /**
   * Backoff between LISTEN reconnect attempts: full jitter under a ceiling of `initialMs`
   * doubling to `maxMs` (defaults 200 ms and 10 s), never below `initialMs / 2`.
   */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Shown in pg_stat_activity (default `gw-change-feed`). */
  applicationName?: string;
  /** Bound on connecting and on the LISTEN command (default 2000 ms). */
  connectionTimeoutMillis?: number;
  /**
   * The least time between two version reads (default DEFAULT_COALESCE_MS): a lone write
   * is read at once, a burst becomes one read, one compile and one fan-out per interval
   * (VersionFollower's `coalesceMs`).
   */
  coalesceMs?: number;
}

/**
 * 50 ms: at most 20 versions a second per replica reach the fleet however fast writes
 * come (at 150 writes/s about 7 writes share a version), which is what keeps hundreds of
 * runtimes from applying every single write; a lone deploy is not delayed at all, and a
 * burst's last write is read at most 50 ms late, far inside the 1 s convergence goal.
 */
export const DEFAULT_COALESCE_MS = 50;

export interface ChangeFeed {
  /** Opens the LISTEN connection (listen mode), starts polling and does the first read. */
  start(): Promise<void>;
  /** Clears timers, closes the connection and waits for the read in flight. */
  stop(): Promise<void>;
  /** The last version handed to onVersion; -1 before the first. */
  readonly lastVersion: number;
  /** True while the LISTEN connection is up. */
  readonly listening: boolean;
  /** The mode in effect; undefined while an `auto` feed has not finished its start-up probe. */
  readonly mode: ResolvedChangeFeedMode | undefined;
  /** Triggers a read now (coalesced with any in flight). */
  wake(): void;
}

/**
 * How a controller replica learns of new config versions. LISTEN is only a doorbell: a
 * notification, a poll tick and every successful (re)connect all just wake the follower,
 * which reads the version and passes on anything newer. A lost notification therefore
 * costs at most one poll interval, and a dropped connection is caught up on reconnect.
 */
export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const logger = options.logger ?? silentLogger;
  const channel = options.channel ?? CONFIG_CHANNEL;
  const requestedMode = options.mode ?? 'listen';
  let mode: ResolvedChangeFeedMode | undefined = requestedMode === 'auto' ? undefined : requestedMode;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const initialMs = options.reconnect?.initialMs ?? 200;
  // The floor keeps a lucky draw of 0 ms from turning a refused connection into a tight
  // reconnect loop against a database that is struggling already.
  const reconnect = new Backoff({ baseMs: initialMs, capMs: options.reconnect?.maxMs ?? 10_000, floorMs: initialMs / 2 });
  const connectionTimeoutMillis = options.connectionTimeoutMillis ?? 2000;
  const follower = new VersionFollower({ readVersion: options.readVersion, onVersion: options.onVersion, logger, coalesceMs: options.coalesceMs ?? DEFAULT_COALESCE_MS });

  let started = false;
  let stopped = false;
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let probing: Promise<ResolvedChangeFeedMode> | undefined;

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer !== undefined || connecting !== undefined) return;
    const delay = reconnect.next();
    logger.debug({ delayMs: delay, attempt: reconnect.attempts }, 'LISTEN reconnect scheduled');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delay);
    // Never the reason a process stays alive; stop() clears it anyway.
    reconnectTimer.unref();
  }

  function connect(): Promise<void> {
    connecting ??= openListener().finally(() => {
      connecting = undefined;
      // A connection lost while this attempt was settling still needs a retry.
      if (client === undefined && !stopped) scheduleReconnect();
    });
    return connecting;
  }

  /** One attempt; never rejects. On failure the caller schedules the next one. */
  async function openListener(): Promise<void> {
    const c = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis,
      // pg has no timeout on a query by default: a server that accepts and then hangs
      // would stall LISTEN (and stop()) forever.
      query_timeout: connectionTimeoutMillis,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: options.applicationName ?? 'gw-change-feed',
    });
    let lost = false;
    let established = false;
    const onLost = (err?: unknown) => {
      if (lost) return;
      lost = true;
      if (client === c) client = undefined;
      c.end().catch(() => undefined);
      if (stopped) return;
      logger.warn({ err, attempt: reconnect.attempts }, established ? 'LISTEN connection lost' : 'LISTEN connection failed');
      scheduleReconnect();
    };
    // Without an 'error' listener a dropped connection would crash the process.
    c.on('error', onLost);
    c.on('end', () => onLost());
    c.on('notification', (msg) => {
      if (msg.channel === channel) follower.wake();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
    } catch (err) {
      onLost(err);
      return;
    }
    if (lost) return;
    if (stopped) {
      lost = true;
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    established = true;
    reconnect.reset();
    logger.info({ channel }, 'LISTEN connection established');
    // Catch up on whatever was committed while we were not listening.
    follower.wake();
  }

  /**
   * `auto`: poll only when the database demonstrably drops cross-connection NOTIFY. If
   * the probe cannot run (database unreachable), listen: on real PostgreSQL that is right,
   * and polling runs in both modes, so a wrong guess costs at most one poll interval.
   */
  async function chooseMode(): Promise<ResolvedChangeFeedMode> {
    try {
      const probe = await probeCrossConnectionNotify({
        connectionString: options.connectionString,
        timeoutMs: options.probeTimeoutMs ?? 1000,
        connectionTimeoutMillis,
        logger,
      });
      const chosen = probe.delivered ? 'listen' : 'poll';
      logger.info(
        { mode: chosen, requested: 'auto', probe },
        probe.delivered
          ? 'change feed mode chosen: listen (NOTIFY reaches other connections)'
          : 'change feed mode chosen: poll (NOTIFY does not reach other connections on this database)',
      );
      return chosen;
    } catch (err) {
      logger.warn({ err, mode: 'listen', requested: 'auto' }, 'change feed mode chosen: listen (NOTIFY probe failed; polling still runs)');
      return 'listen';
    }
  }

  return {
    async start() {
      if (started || stopped) throw new Error('a change feed starts once and cannot restart');
      started = true;
      if (mode === undefined) {
        probing = chooseMode();
        mode = await probing;
        if (stopped) return;
      }
      if (mode === 'listen') await connect();
      // stop() may have run while we were connecting: start no timer after it.
      if (stopped) return;
      pollTimer = setInterval(() => follower.wake(), pollIntervalMs);
      pollTimer.unref();
      follower.wake();
      await follower.idle();
    },

    async stop() {
      stopped = true;
      clearInterval(pollTimer);
      clearTimeout(reconnectTimer);
      pollTimer = undefined;
      reconnectTimer = undefined;
      // An attempt in flight sees `stopped` when it settles and closes its own client; a
      // start-up probe closes its two connections before it settles.
      await probing;
      await connecting;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
      await follower.stop();
    },

    get lastVersion() {
      return follower.lastVersion;
    },

    get listening() {
      return client !== undefined;
    },

    get mode() {
      return mode;
    },

    wake() {
      if (!stopped) follower.wake();
    },
  };
}
