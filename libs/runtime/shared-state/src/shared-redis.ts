import { EventEmitter } from 'node:events';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import { createRequire } from 'node:module';
import type { Cluster, Redis } from 'ioredis';
import { DeadlineExceeded, withDeadline } from './deadline.js';
import { classifyRedisFailure } from './failure-kind.js';
import { clientConfig, type RedisScript } from './redis-options.js';
import { describeRedisTarget, parseRedisUrl, type RedisTarget } from './redis-url.js';

export type RedisClient = Redis | Cluster;

export interface SharedRedisOptions {
  /** `REDIS_URL`: `redis://`, `rediss://`, `redis-sentinel://…/master`, `redis-cluster://…` (see `parseRedisUrl`). */
  url: string;
  logger?: Logger;
  /** Lua scripts, loaded on every connection; call them with `evalScript(name, …)`. */
  scripts?: Record<string, RedisScript>;
  /** Hard bound on every command (ioredis `commandTimeout`). Default 500 ms. */
  commandTimeoutMs?: number;
  /** TCP connect timeout. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Destroy and reconnect a socket that received nothing for this long while commands wait. Default 3000 ms. */
  socketTimeoutMs?: number;
  /** Reconnect backoff: full jitter under a ceiling of the base doubling up to the max, never below half the base. Defaults 50 ms and 2000 ms. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** Consecutive timeouts or connection failures before the connection counts as unavailable. Default 3. */
  failureThreshold?: number;
  /** While unavailable on a live socket, a PING probe every this often decides when to trust it again. Default 500 ms. */
  probeIntervalMs?: number;
  /** `CLIENT SETNAME`, to find the runtime in `CLIENT LIST`. */
  connectionName?: string;
}

export interface SharedRedisStats {
  available: boolean;
  /** Calls through `run`/`evalScript` that reached the client. */
  calls: number;
  failures: number;
  timeouts: number;
  /** Calls refused at once because the connection was unavailable (no Redis round trip). */
  rejectedWhileUnavailable: number;
  /** How often the connection became unavailable. */
  outages: number;
}

export interface RunOptions {
  /** Deadline for this call; default (and maximum useful value) the command timeout. */
  timeoutMs?: number;
}

type StateListener = (info: { reason: string }) => void;

/**
 * One Redis connection (single node, Sentinel-managed master, or Cluster) shared by the
 * runtime's policies. It never throws from events, never queues commands while
 * disconnected, bounds every call by a deadline, and keeps an `available` flag:
 *
 * - unavailable while the client is not `ready` (connecting, reconnecting with backoff);
 * - unavailable after `failureThreshold` consecutive timeouts or outage errors on a
 *   live socket (a paused or overloaded server): calls then fail at once instead of each
 *   waiting for its deadline, and a PING every `probeIntervalMs` decides when to trust
 *   the connection again;
 * - available again on the next `ready` or successful probe: recovery is automatic.
 *
 * Events: `available` and `unavailable` (with a reason), for metrics and logs.
 * Calls made while unavailable reject with `GW_SHARED_STATE_UNAVAILABLE`; callers map
 * that to their policy's failure mode.
 */
export class SharedRedis extends EventEmitter {
  readonly target: RedisTarget;
  /** Password-free, for logs and `/config`. */
  readonly description: string;
  readonly client: RedisClient;
  readonly commandTimeoutMs: number;

  private readonly logger: Logger;
  private readonly failureThreshold: number;
  private readonly probeIntervalMs: number;
  private consecutiveFailures = 0;
  private suspect = false;
  private wasAvailable = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private lastErrorLogAt = 0;
  private readonly counters = { calls: 0, failures: 0, timeouts: 0, rejectedWhileUnavailable: 0, outages: 0 };
  private readonly scriptNames: ReadonlySet<string>;

  constructor(options: SharedRedisOptions) {
    super();
    this.target = parseRedisUrl(options.url);
    this.description = describeRedisTarget(this.target);
    this.logger = (options.logger ?? silentLogger).child({ component: 'shared-state', redis: this.description });
    this.commandTimeoutMs = positive(options.commandTimeoutMs, 500);
    this.failureThreshold = positive(options.failureThreshold, 3);
    this.probeIntervalMs = positive(options.probeIntervalMs, 500);
    this.scriptNames = new Set(Object.keys(options.scripts ?? {}));
    const config = clientConfig(this.target, {
      commandTimeoutMs: this.commandTimeoutMs,
      connectTimeoutMs: positive(options.connectTimeoutMs, 2000),
      socketTimeoutMs: positive(options.socketTimeoutMs, 3000),
      reconnectBaseMs: positive(options.reconnectBaseMs, 50),
      reconnectMaxMs: positive(options.reconnectMaxMs, 2000),
      connectionName: options.connectionName,
      scripts: options.scripts ?? {},
    });
    const ioredis = loadIoredis();
    this.client = config.kind === 'cluster' ? new ioredis.Cluster(config.nodes, config.options) : new ioredis.Redis(config.options);

    // An EventEmitter 'error' without a listener throws: always listen.
    this.client.on('error', (err: Error) => this.logError(err));
    this.client.on('node error', (err: Error) => this.logError(err));
    this.client.on('ready', () => {
      // A fresh connection: forget failures seen on the old one.
      this.consecutiveFailures = 0;
      this.suspect = false;
      this.stopProbe();
      this.update('connected');
    });
    for (const event of ['close', 'end', 'reconnecting']) this.client.on(event, () => this.update(`connection ${event}`));
  }

  /** True when calls go to Redis; false while disconnected or after repeated timeouts. */
  get available(): boolean {
    return !this.closed && this.client.status === 'ready' && !this.suspect;
  }

  override on(event: 'available' | 'unavailable', listener: StateListener): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  /**
   * Runs `op` against the client within a deadline. Rejects at once with
   * `GW_SHARED_STATE_UNAVAILABLE` when the connection is unavailable, and with the same
   * code (cause attached) when `op` times out or loses the connection. Redis reply
   * errors about the command itself are passed through unchanged.
   */
  async run<T>(op: (client: RedisClient) => Promise<T>, options: RunOptions = {}): Promise<T> {
    if (!this.available) {
      this.counters.rejectedWhileUnavailable++;
      throw new GatewayError(ErrorCodes.GW_SHARED_STATE_UNAVAILABLE, `shared state unavailable (${this.description})`);
    }
    this.counters.calls++;
    const timeoutMs = Math.min(positive(options.timeoutMs, this.commandTimeoutMs), this.commandTimeoutMs);
    let pending: Promise<T>;
    try {
      pending = op(this.client);
    } catch (err) {
      pending = Promise.reject(err);
    }
    try {
      const value = await withDeadline(pending, timeoutMs);
      this.consecutiveFailures = 0;
      return value;
    } catch (err) {
      const kind = classifyRedisFailure(err);
      if (kind === 'reply') throw err;
      this.counters.failures++;
      if (kind === 'timeout') this.counters.timeouts++;
      this.noteFailure(kind === 'timeout' ? `no answer within ${timeoutMs} ms` : (err as Error).message);
      throw new GatewayError(
        ErrorCodes.GW_SHARED_STATE_UNAVAILABLE,
        err instanceof DeadlineExceeded || kind === 'timeout'
          ? `shared state did not answer within ${timeoutMs} ms (${this.description})`
          : `shared state failed (${this.description}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** Calls a script registered in `scripts` (EVALSHA, loaded again after a Redis restart). */
  evalScript(name: string, keys: readonly string[], args: readonly (string | number)[], options?: RunOptions): Promise<unknown> {
    // A wiring bug, not an outage: fail before touching the connection's health.
    if (!this.hasScript(name)) return Promise.reject(new Error(`no script "${name}" was registered on this connection (pass it in \`scripts\`)`));
    return this.run((client) => {
      const fn = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!;
      return fn.call(client, ...keys, ...args);
    }, options);
  }

  /** Whether `scripts` held this name when the connection was created. */
  hasScript(name: string): boolean {
    return this.scriptNames.has(name);
  }

  stats(): SharedRedisStats {
    return { available: this.available, ...this.counters };
  }

  /** Resolves once available, or false after `timeoutMs`. */
  async waitUntilAvailable(timeoutMs: number): Promise<boolean> {
    if (this.available) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.off('available', onAvailable);
        resolve(false);
      }, timeoutMs);
      const onAvailable = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.once('available', onAvailable);
    });
  }

  /** QUIT within the command timeout, then drop the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopProbe();
    this.update('closed');
    try {
      if (this.client.status === 'ready') await withDeadline(this.client.quit(), this.commandTimeoutMs);
    } catch {
      // the server is gone or slow: disconnecting is all that is left
    }
    this.client.disconnect();
  }

  private noteFailure(reason: string): void {
    this.consecutiveFailures++;
    if (this.suspect || this.consecutiveFailures < this.failureThreshold) return;
    this.suspect = true;
    this.update(`${this.consecutiveFailures} consecutive failures, last: ${reason}`);
    this.startProbe();
  }

  private startProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => void this.probe(), this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private stopProbe(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async probe(): Promise<void> {
    // Only on a live socket: a reconnecting client recovers through 'ready'.
    if (this.probing || !this.suspect || this.client.status !== 'ready') return;
    this.probing = true;
    try {
      await withDeadline(this.client.ping(), this.commandTimeoutMs);
      this.consecutiveFailures = 0;
      this.suspect = false;
      this.stopProbe();
      this.update('probe answered');
    } catch {
      // still unavailable; the next tick tries again
    } finally {
      this.probing = false;
    }
  }

  private update(reason: string): void {
    const now = this.available;
    if (now === this.wasAvailable) return;
    this.wasAvailable = now;
    if (now) {
      this.logger.info({ reason }, 'shared state available');
      this.emit('available', { reason });
    } else {
      this.counters.outages++;
      if (!this.closed) this.logger.warn({ reason }, 'shared state unavailable');
      this.emit('unavailable', { reason });
    }
  }

  private logError(err: Error): void {
    // Reconnect attempts repeat the same error every backoff step: log at most every 10 s.
    const now = Date.now();
    if (now - this.lastErrorLogAt < 10_000) return;
    this.lastErrorLogAt = now;
    this.logger.warn({ err: { message: err.message, name: err.name } }, 'redis connection error');
  }
}

/** Connects to `REDIS_URL` (see `SharedRedisOptions`); the returned connection keeps reconnecting until `close()`. */
/**
 * ioredis, loaded by the first connection made: a runtime without REDIS_URL never needs it,
 * and loading it costs ~35 ms of CPU before the runtime is ready (docs/benchmarks.md).
 */
function loadIoredis(): typeof import('ioredis') {
  return createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
}

export function createRedis(options: SharedRedisOptions): SharedRedis {
  return new SharedRedis(options);
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
