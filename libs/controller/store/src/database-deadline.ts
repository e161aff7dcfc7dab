import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * A database call outlived its client-side deadline, and its connection was destroyed.
 * `commitSent`: the call was COMMIT, so the server may have committed before it froze
 * (the outcome is unknown); otherwise nothing the call belonged to was committed.
 */
export class DatabaseDeadlineError extends Error {
  override readonly name = 'DatabaseDeadlineError';
  constructor(
    readonly timeoutMs: number,
    readonly commitSent: boolean,
  ) {
    super(`The database did not answer within ${timeoutMs} ms${commitSent ? ' to COMMIT: the outcome is unknown' : ''}; the connection was closed.`);
  }
}

/** True when `err` (or its cause chain) is a deadline that fired after COMMIT was sent. */
export function isOutcomeUnknown(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== 'object') return false;
  if (err instanceof DatabaseDeadlineError) return err.commitSent;
  return isOutcomeUnknown((err as { cause?: unknown }).cause, depth + 1);
}

/** COMMIT itself, or a statement that is its own transaction and says so (api-write.repository.ts: COMMITS_MARKER). */
const COMMIT = /^\s*(commit\b|end\b|\/\* gw:commits \*\/)/i;

/**
 * Wraps a pg pool so every query its clients run has a client-side deadline. The
 * server-side statement_timeout cannot help when the server itself is frozen (SIGSTOP, a
 * stalled VM, a half-open network path): nothing would ever answer. When the deadline
 * fires, the connection's socket is destroyed (pg-pool then discards the client on
 * release) and the query rejects with DatabaseDeadlineError, telling whether COMMIT was
 * the call that went unanswered.
 */
export function withQueryDeadline(pool: pg.Pool, timeoutMs: number): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let w = wrapped.get(client);
    if (w !== undefined) return w;
    // A destroyed socket is emitted as 'error' on a checked-out client; without a listener
    // Node would crash the process. The query it belonged to has been answered already.
    client.on('error', () => undefined);
    let destroyed = false;
    w = {
      query(...args: unknown[]): never {
        const text = args[0];
        // Cursors (submittable objects) have their own flow; kysely's plain queries are strings.
        const running = (client.query as (...a: unknown[]) => Promise<PostgresQueryResult<unknown>>)(...args);
        if (typeof text !== 'string') return running as never;
        return new Promise<PostgresQueryResult<unknown>>((resolve, reject) => {
          const timer = setTimeout(() => {
            destroyed = true;
            reject(new DatabaseDeadlineError(timeoutMs, COMMIT.test(text)));
            // The answer may still arrive on a thawed server: nobody would read it, and a
            // client in the middle of a query must never go back to the pool.
            (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
          }, timeoutMs);
          running.then(
            (result) => {
              clearTimeout(timer);
              resolve(result);
            },
            (err: unknown) => {
              clearTimeout(timer);
              reject(err);
            },
          );
        }) as never;
      },
      // kysely passes `true` to discard a connection it marked broken; a destroyed one is
      // discarded too (pg-pool would not know yet: the socket closes asynchronously).
      release(...args: unknown[]) {
        (client.release as (...a: unknown[]) => void)(...(destroyed ? [true] : args));
      },
    };
    wrapped.set(client, w);
    return w;
  };
  return {
    async connect() {
      return wrap(await pool.connect());
    },
    end: () => pool.end(),
    // kysely reads these to open a control connection that cancels a query.
    Client: (pool as unknown as { Client: PostgresPool['Client'] }).Client,
    options: pool.options,
  } as PostgresPool;
}
