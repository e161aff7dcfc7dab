import { performance } from 'node:perf_hooks';

export interface PeerLivenessOptions {
  /** Between an answer and the next probe. */
  intervalMs: number;
  /** A probe unanswered for this much of this process's own running time: the peer counts as dead. */
  timeoutMs: number;
  /** Sends one probe and calls `answered` when the peer answers it; returns what cancels it. */
  probe: (answered: () => void) => () => void;
  /** The peer left a probe unanswered; `waitedMs` is the wall time since it was sent. */
  onSilent: (waitedMs: number) => void;
}

/**
 * Keepalive that does not blame the peer for this process's own stalls. gRPC's keepalive
 * arms one timer per ping; when this process's event loop is blocked (a large config
 * apply, a loaded machine) longer than the timeout, that timer runs first after the stall,
 * before the loop has read the answer already waiting in the socket, and a healthy
 * connection is dropped. Here the wait is counted in ticks: a gap between two ticks much
 * longer than a tick is this process not running, and counts as two ticks only; and the
 * verdict waits for the loop to poll its sockets (twice) first. A frozen peer (SIGSTOP,
 * a partition) is still noticed within `intervalMs` + `timeoutMs` + one tick while this
 * process runs.
 */
export class PeerLiveness {
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #cancel: (() => void) | undefined;
  #stopped = true;

  constructor(private readonly options: PeerLivenessOptions) {
    this.#tickMs = Math.max(10, Math.min(250, options.timeoutMs / 10));
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#ticker);
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#send(), this.options.intervalMs);
    this.#timer.unref();
  }

  #send(): void {
    if (this.#stopped) return;
    const sentAt = performance.now();
    let last = sentAt;
    let waited = 0;
    let answered = false;
    this.#cancel = this.options.probe(() => {
      if (answered || this.#stopped) return;
      answered = true;
      clearInterval(this.#ticker);
      this.#cancel = undefined;
      this.#schedule();
    });
    const silent = () => !answered && !this.#stopped;
    this.#ticker = setInterval(() => {
      const now = performance.now();
      // A gap far beyond the tick is this loop stalled, not the peer silent: it counts as two ticks.
      waited += Math.min(now - last, 2 * this.#tickMs);
      last = now;
      if (waited < this.options.timeoutMs) return;
      clearInterval(this.#ticker);
      // Decide after the loop has polled its sockets: an answer that arrived while it was
      // busy is read (and its callback run) first.
      setImmediate(() => {
        if (silent()) setImmediate(() => silent() && this.#giveUp(sentAt));
      });
    }, this.#tickMs);
    this.#ticker.unref();
  }

  #giveUp(sentAt: number): void {
    this.stop(); // cancels the probe
    this.options.onSilent(performance.now() - sentAt);
  }
}
