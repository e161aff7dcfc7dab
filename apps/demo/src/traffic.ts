import { Agent } from 'node:http';
import { httpJson } from './http-json.js';
import type { RuntimeNode } from './topology.js';

/** What one measuring window saw. */
export interface TrafficStats {
  requests: number;
  ok: number;
  /** Failed requests by reason: an HTTP status (`502`) or a network error code. */
  failures: Record<string, number>;
  /** Requests sent again to another runtime after a connection failure (as a load balancer would). */
  redispatched: number;
  /** Per zone of the runtime that answered (or last failed): requests and successes. */
  byZone: Record<string, { requests: number; ok: number }>;
  /** Which upstream zones answered, per runtime zone. */
  upstreamZones: Record<string, Record<string, number>>;
}

export interface TrafficOptions {
  runtimes: RuntimeNode[];
  path: string;
  /** Total requests per second across all workers (default 100). */
  ratePerSecond?: number;
  /** Requests in flight at most (default 4). */
  concurrency?: number;
  /** How often runtimes' /health/ready is checked, like a load balancer's health check (default 250 ms). */
  healthIntervalMs?: number;
  timeoutMs?: number;
}

/**
 * Steady client traffic through the runtimes, behaving like the load balancer in the
 * compose file: it sends only to runtimes whose /health/ready answered 200 at the last
 * check, and a request whose connection fails is sent once more to another runtime
 * (HAProxy's `retries 1` + `option redispatch`). HTTP answers, 5xx included, are final.
 */
export class Traffic {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly healthy = new Set<string>();
  private stats = emptyStats();
  private running = false;
  private workers: Promise<void>[] = [];
  private healthTimer: NodeJS.Timeout | undefined;
  private next = 0;
  private readonly opts: Required<TrafficOptions>;

  constructor(options: TrafficOptions) {
    this.opts = { ratePerSecond: 100, concurrency: 4, healthIntervalMs: 250, timeoutMs: 5_000, ...options };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.checkHealth();
    this.healthTimer = setInterval(() => void this.checkHealth(), this.opts.healthIntervalMs);
    const gapMs = (1000 * this.opts.concurrency) / this.opts.ratePerSecond;
    this.workers = Array.from({ length: this.opts.concurrency }, async () => {
      while (this.running) {
        const started = Date.now();
        await this.once();
        const wait = gapMs - (Date.now() - started);
        if (wait > 0 && this.running) await new Promise((r) => setTimeout(r, wait));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.healthTimer);
    await Promise.all(this.workers);
    this.agent.destroy();
  }

  /** The stats since the last call, and a fresh window. */
  window(): TrafficStats {
    const s = this.stats;
    this.stats = emptyStats();
    return s;
  }

  private async checkHealth(): Promise<void> {
    await Promise.all(
      this.opts.runtimes.map(async (r) => {
        const up = await httpJson('GET', `${r.admin}/health/ready`, { timeoutMs: 1_000 }).then(
          (res) => res.status === 200,
          () => false,
        );
        if (up) this.healthy.add(r.name);
        else this.healthy.delete(r.name);
      }),
    );
  }

  private pick(exclude?: string): RuntimeNode | undefined {
    const candidates = this.opts.runtimes.filter((r) => this.healthy.has(r.name) && r.name !== exclude);
    if (candidates.length === 0) return undefined;
    return candidates[this.next++ % candidates.length];
  }

  /** One client request; its outcome counts in the window in which it completes. */
  private async once(): Promise<void> {
    let runtime = this.pick();
    for (let attempt = 0; ; attempt++) {
      if (!runtime) return fail(this.stats, 'no-healthy-runtime', undefined);
      try {
        const res = await httpJson('GET', `${runtime.proxy}${this.opts.path}`, { agent: this.agent, timeoutMs: this.opts.timeoutMs });
        const s = this.stats;
        s.requests++;
        const zone = (s.byZone[runtime.zone] ??= { requests: 0, ok: 0 });
        zone.requests++;
        if (res.status >= 200 && res.status < 300) {
          s.ok++;
          zone.ok++;
          const upstreamZone = (res.json as { zone?: unknown } | undefined)?.zone;
          const seen = (s.upstreamZones[runtime.zone] ??= {});
          const key = typeof upstreamZone === 'string' ? upstreamZone : '?';
          seen[key] = (seen[key] ?? 0) + 1;
        } else {
          s.failures[String(res.status)] = (s.failures[String(res.status)] ?? 0) + 1;
        }
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        // The connection failed: the runtime is gone. Take it out until its health check
        // passes again, and redispatch once, as the load balancer does.
        this.healthy.delete(runtime.name);
        if (attempt === 0 && (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE')) {
          this.stats.redispatched++;
          runtime = this.pick(runtime.name);
          continue;
        }
        return fail(this.stats, code, runtime.zone);
      }
    }
  }
}

function fail(s: TrafficStats, reason: string, zone: string | undefined): void {
  s.requests++;
  s.failures[reason] = (s.failures[reason] ?? 0) + 1;
  if (zone) (s.byZone[zone] ??= { requests: 0, ok: 0 }).requests++;
}

function emptyStats(): TrafficStats {
  return { requests: 0, ok: 0, failures: {}, redispatched: 0, byZone: {}, upstreamZones: {} };
}
