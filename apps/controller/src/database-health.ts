import type { Logger } from '@gw/logging';

export interface DatabaseHealthOptions {
  /** A cheap round trip through the same pool the deploy API uses (e.g. `select 1`). */
  check: () => Promise<unknown>;
  /** How often to check (the most a change of state goes unnoticed, plus timeoutMs). */
  intervalMs: number;
  /** A check slower than this counts as a failure (the query itself is bounded by the pool's own timeouts). */
  timeoutMs: number;
  logger: Logger;
}

export interface DatabaseHealthReport {
  ok: boolean;
  /** When the current state began (ISO 8601); null before the first check. */
  since: string | null;
  lastError: string | null;
  /** Failed checks in a row. */
  failures: number;
}

/**
 * Readiness for the controller's database: a periodic probe, so `/health/ready` answers
 * from memory at once instead of waiting on a database that may hang, and so it turns
 * 503 while nobody calls the deploy API. One check runs at a time; a check that
 * outlives its timeout counts as failed and the next one starts only after it settles.
 */
export class DatabaseHealth {
  #ok: boolean | undefined;
  #since: Date | undefined;
  #lastError: string | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly options: DatabaseHealthOptions) {}

  /** Runs the first check now and then every interval. */
  start(): Promise<void> {
    this.#timer = setInterval(() => void this.checkNow(), this.options.intervalMs);
    this.#timer.unref();
    return this.checkNow();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    return this.#inFlight ?? Promise.resolve();
  }

  /** True once a check succeeded and none failed since. */
  get ok(): boolean {
    return this.#ok === true;
  }

  report(): DatabaseHealthReport {
    return { ok: this.ok, since: this.#since?.toISOString() ?? null, lastError: this.#lastError ?? null, failures: this.#failures };
  }

  /** Checks now unless a check is already running (then waits for that one). */
  checkNow(): Promise<void> {
    this.#inFlight ??= this.#check().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #check(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs);
    });
    const run = Promise.resolve()
      .then(() => this.options.check())
      .then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message || err.name : String(err)),
    );
    try {
      const first = await Promise.race([run, timedOut]);
      if (first === 'timeout') {
        this.#record(`no answer within ${this.options.timeoutMs} ms`);
        // Do not pile up checks on a hanging database: wait for this one to settle.
        await run;
      } else {
        this.#record(first);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #record(error: string | undefined): void {
    if (this.#stopped) return;
    const ok = error === undefined;
    if (ok !== this.#ok) {
      this.#since = new Date();
      if (ok && this.#ok === false) this.options.logger.info({ failures: this.#failures, lastError: this.#lastError }, 'database reachable again: ready');
      if (!ok) this.options.logger.warn({ error }, 'database unreachable: not ready (deploy API answers 503; streaming the last snapshot continues)');
    }
    this.#ok = ok;
    if (ok) {
      this.#failures = 0;
      this.#lastError = undefined;
    } else {
      this.#failures++;
      this.#lastError = error;
    }
  }
}

/** The part of a pg pool that pingPool needs. */
export interface PingablePool {
  connect(): Promise<{ query(sql: string): Promise<unknown>; release(err?: Error | boolean): void }>;
}

/**
 * `select 1` on a connection checked out of the pool, bounded by `timeoutMs` (the
 * checkout itself is bounded by the pool's connect timeout). A connection that fails or
 * hangs is released with the error, which makes the pool destroy it: a connection to a
 * frozen server never goes back into the pool through the probe, and the probe always settles.
 */
export async function pingPool(pool: PingablePool, timeoutMs: number): Promise<void> {
  const client = await pool.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.query('select 1'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`select 1 got no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    client.release();
  } catch (err) {
    client.release(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
