import type { Logger } from '@gw/logging';

/** How often aggregated upstream failures are written: one line per API, target and reason per interval. */
export const FAILURE_LOG_INTERVAL_MS = 5_000;

interface Tally {
  api: string;
  target: string | undefined;
  reason: string;
  count: number;
  /** One example, so a line can be followed to a request (and to its metrics and access log). */
  sampleRequestId: string;
  /** The last error's message and code: no stack, which would cost a line per frame and say nothing per request. */
  lastError: string | undefined;
  lastCode: string | undefined;
}

/**
 * Failures towards upstreams, aggregated: while an upstream is down every request fails,
 * and a line (with a stack) per request floods the logs — tens of thousands of lines a
 * second — and slows the runtime when it can least afford it. Each failure is counted
 * under its API, target and reason; every `FAILURE_LOG_INTERVAL_MS` one warn line per
 * combination says how many there were, with one sample request id and the last error.
 * Per-request detail stays in metrics. The timer runs only while there is something to write.
 * Responses that could not spill to BUFFER_DIR (reason `response-spill-unavailable`) are
 * counted here too: the same storm, one cause for every request.
 */
export class FailureLog {
  private readonly tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = FAILURE_LOG_INTERVAL_MS,
  ) {}

  record(api: string, target: string | undefined, reason: string, requestId: string, err?: unknown): void {
    const key = `${api}\u0000${target ?? ''}\u0000${reason}`;
    let t = this.tallies.get(key);
    if (t === undefined) {
      t = { api, target, reason, count: 0, sampleRequestId: requestId, lastError: undefined, lastCode: undefined };
      this.tallies.set(key, t);
    }
    t.count++;
    if (err !== undefined) {
      t.lastError = err instanceof Error ? err.message : String(err);
      t.lastCode = (err as { code?: unknown } | null)?.code as string | undefined;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes what was counted since the last flush. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.tallies.values()) {
      this.logger.warn(
        { api: t.api, target: t.target, reason: t.reason, count: t.count, intervalMs: this.intervalMs, sampleRequestId: t.sampleRequestId, lastError: t.lastError, lastCode: t.lastCode },
        `upstream failures: ${t.reason}`,
      );
    }
    this.tallies.clear();
  }
}
