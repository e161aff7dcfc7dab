import { Agent, request } from 'node:http';

export interface LoadLoopOptions {
  /** Builds the URL of the n-th request (n counts from 0). */
  url: (n: number) => string;
  /** Requests in flight at once (each worker sends one after the other). Default 4. */
  concurrency?: number;
  /** Pause between one worker's requests, so the load stays steady, not flat out. Default 5 ms. */
  pauseMs?: number;
  /** Hard caps: the loop stops by itself after this many requests or this long. */
  maxRequests: number;
  maxMs: number;
  /** Per-request timeout (default 5000 ms): a hang counts as a failure. */
  timeoutMs?: number;
  /** What counts as success (default: status 200). */
  ok?: (status: number, body: string) => boolean;
  /** Request headers sent with every request (e.g. a bearer token). */
  headers?: Record<string, string>;
}

export interface LoadFailure {
  n: number;
  at: number;
  status?: number;
  error?: string;
  body?: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** The first failures (at most 20), for the assertion message. */
  failures: LoadFailure[];
  /** 'caller' when stop() ended it; otherwise the cap that ended it early. */
  stoppedBy: 'caller' | 'maxRequests' | 'maxMs';
  durationMs: number;
}

export interface LoadLoop {
  /** Successful responses so far (to wait until traffic is flowing). */
  readonly ok: number;
  readonly failed: number;
  /** Stops sending, waits for the requests in flight, returns the tally. */
  stop(): Promise<LoadResult>;
}

/**
 * Steady client traffic over keep-alive connections, as a real client sends it: a few
 * workers, each sending its next request when the last one answered. Bounded in count
 * and time so a broken test can never spin forever.
 */
export function startLoadLoop(options: LoadLoopOptions): LoadLoop {
  const concurrency = options.concurrency ?? 4;
  const pauseMs = options.pauseMs ?? 5;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const isOk = options.ok ?? ((status: number) => status === 200);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const started = Date.now();
  const deadline = started + options.maxMs;
  let stopRequested = false;
  let stoppedBy: LoadResult['stoppedBy'] | undefined;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const failures: LoadFailure[] = [];

  const fail = (f: LoadFailure) => {
    failed++;
    if (failures.length < 20) failures.push(f);
  };

  const one = (n: number) =>
    new Promise<void>((resolve) => {
      const req = request(options.url(n), { agent, timeout: timeoutMs, ...(options.headers ? { headers: options.headers } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          if (isOk(res.statusCode ?? 0, body)) ok++;
          else fail({ n, at: Date.now() - started, status: res.statusCode ?? 0, body: body.slice(0, 300) });
          resolve();
        });
        res.on('error', (err) => {
          fail({ n, at: Date.now() - started, error: err.message });
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on('error', (err) => {
        fail({ n, at: Date.now() - started, error: err.message });
        resolve();
      });
      req.end();
    });

  const worker = async () => {
    for (;;) {
      if (stopRequested) return;
      if (sent >= options.maxRequests) {
        stoppedBy ??= 'maxRequests';
        return;
      }
      if (Date.now() >= deadline) {
        stoppedBy ??= 'maxMs';
        return;
      }
      await one(sent++);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));

  return {
    get ok() {
      return ok;
    },
    get failed() {
      return failed;
    },
    async stop() {
      stopRequested = true;
      await workers;
      agent.destroy();
      return { sent, ok, failed, failures, stoppedBy: stoppedBy ?? 'caller', durationMs: Date.now() - started };
    },
  };
}
