import { randomBytes } from 'node:crypto';
import { type Logger, silentLogger } from '@gw/logging';
import pg from 'pg';

export interface NotifyProbeOptions {
  connectionString: string;
  /** How long the notification may take to arrive on the listening connection (default 1000 ms). */
  timeoutMs?: number;
  /** Bound on connecting and on each command (default 2000 ms). */
  connectionTimeoutMillis?: number;
  /** Shown in pg_stat_activity (default `gw-notify-probe`). */
  applicationName?: string;
  logger?: Logger;
}

export interface NotifyProbeResult {
  /** True when a NOTIFY sent on one connection reached a LISTEN on another in time. */
  delivered: boolean;
  /** How long delivery took (ms), when it happened. */
  latencyMs?: number;
}

/**
 * Asks the database whether LISTEN/NOTIFY works across connections, the way the change
 * feed needs it: LISTEN on one connection, NOTIFY from a second, wait for the first to
 * hear it. Real PostgreSQL does this; PGlite served over a socket multiplexes every
 * client onto one backend and hands the notification to the connection that sent it.
 * The channel and payload are random, so concurrent probes (two replicas starting
 * together) never see each other's message. Rejects when the database cannot be reached.
 */
export async function probeCrossConnectionNotify(options: NotifyProbeOptions): Promise<NotifyProbeResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const connectionTimeoutMillis = options.connectionTimeoutMillis ?? 2000;
  const token = randomBytes(8).toString('hex');
  const channel = `gw_notify_probe_${token}`;
  const client = () =>
    new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis,
      query_timeout: connectionTimeoutMillis,
      application_name: options.applicationName ?? 'gw-notify-probe',
    });
  const listener = client();
  const sender = client();
  // A connection dropping mid-probe must reject the probe, not crash the process.
  listener.on('error', () => undefined);
  sender.on('error', () => undefined);
  try {
    await listener.connect();
    await sender.connect();
    let resolveHeard!: () => void;
    const heard = new Promise<void>((resolve) => (resolveHeard = resolve));
    listener.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload === token) resolveHeard();
    });
    await listener.query(`LISTEN ${listener.escapeIdentifier(channel)}`);
    const sentAt = Date.now();
    await sender.query('select pg_notify($1, $2)', [channel, token]);
    let timer: NodeJS.Timeout | undefined;
    const delivered = await Promise.race([
      heard.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    // On a multiplexed single backend the LISTEN would outlive this connection: undo it.
    await listener.query(`UNLISTEN ${listener.escapeIdentifier(channel)}`).catch(() => undefined);
    const result: NotifyProbeResult = delivered ? { delivered, latencyMs: Date.now() - sentAt } : { delivered };
    (options.logger ?? silentLogger).debug({ ...result, timeoutMs }, 'cross-connection NOTIFY probe');
    return result;
  } finally {
    await Promise.all([listener.end().catch(() => undefined), sender.end().catch(() => undefined)]);
  }
}
