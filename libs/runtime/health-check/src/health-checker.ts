import type { HealthCheckOptions, Upstream } from '@gw/upstreams';
import { silentLogger, type Logger } from '@gw/logging';
import { probe, probeTargetOf, type ProbeResult, type ProbeTarget } from './probe.js';

/** One check result, for metrics. */
export interface CheckRecord {
  readonly upstream: string;
  readonly target: string;
  readonly result: ProbeResult;
}

export interface HealthCheckerOptions {
  /** Where results go: normally `UpstreamRegistry.reportCheck`, which applies the thresholds. */
  readonly report: (upstream: string, target: string, passed: boolean) => void;
  readonly logger?: Logger;
  /** Called after every check (a metrics hook: count checks, observe durations). */
  readonly onCheck?: (record: CheckRecord) => void;
  readonly userAgent?: string;
  /** Spreads the first check of each target over [0, min(interval, this)) so a table swap does not probe everything at once. */
  readonly firstCheckSpreadMs?: number;
}

interface Prober {
  readonly upstream: string;
  readonly url: string;
  readonly target: ProbeTarget;
  readonly options: HealthCheckOptions;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  lastPassed: boolean | undefined;
}

/**
 * Active health checks for every target of every upstream that configures them. Call
 * `update` with the upstreams of each newly applied routing table: a target whose API,
 * URL and check settings are unchanged keeps its running prober (and its streak, which
 * lives in the target's health record); new ones start, vanished ones stop. Checks of one
 * target never overlap: the next starts `intervalMs` after the previous one finished.
 */
export class HealthChecker {
  readonly #o: HealthCheckerOptions;
  readonly #logger: Logger;
  readonly #probers = new Map<string, Prober>();
  #stopped = false;

  constructor(options: HealthCheckerOptions) {
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Targets being checked. */
  get size(): number {
    return this.#probers.size;
  }

  /** Starts and stops probers so that exactly the checks these upstreams configure run. */
  update(upstreams: Iterable<Upstream>): void {
    if (this.#stopped) return;
    const wanted = new Map<string, { upstream: string; url: string; options: HealthCheckOptions }>();
    for (const up of upstreams) {
      const hc = up.options.healthCheck;
      if (hc === null) continue;
      for (const t of up.options.targets) wanted.set(`${up.name}\n${t.url}\n${JSON.stringify(hc)}`, { upstream: up.name, url: t.url, options: hc });
    }
    for (const [key, prober] of this.#probers) {
      if (!wanted.has(key)) {
        this.#stop(prober);
        this.#probers.delete(key);
      }
    }
    for (const [key, w] of wanted) {
      if (this.#probers.has(key)) continue;
      let target: ProbeTarget;
      try {
        target = probeTargetOf(w.url, w.options.path);
      } catch (err) {
        this.#logger.warn({ upstream: w.upstream, target: w.url, err }, 'health check target is not checkable');
        continue;
      }
      const prober: Prober = { upstream: w.upstream, url: w.url, target, options: w.options, timer: undefined, stopped: false, lastPassed: undefined };
      this.#probers.set(key, prober);
      const spread = Math.min(w.options.intervalMs, this.#o.firstCheckSpreadMs ?? 1_000);
      this.#schedule(prober, Math.floor(Math.random() * spread));
    }
  }

  /** Stops every prober; checks in flight finish but report nothing. */
  stop(): void {
    this.#stopped = true;
    for (const prober of this.#probers.values()) this.#stop(prober);
    this.#probers.clear();
  }

  #stop(prober: Prober): void {
    prober.stopped = true;
    clearTimeout(prober.timer);
    prober.timer = undefined;
  }

  #schedule(prober: Prober, delayMs: number): void {
    prober.timer = setTimeout(() => void this.#run(prober), delayMs);
    // Checks never keep a stopping process alive.
    prober.timer.unref();
  }

  async #run(prober: Prober): Promise<void> {
    prober.timer = undefined;
    if (prober.stopped) return;
    const result = await probe(prober.target, prober.options.timeoutMs, this.#o.userAgent ?? 'gateway-health-check');
    if (prober.stopped) return;
    if (prober.lastPassed !== result.passed) {
      // Individual results, not transitions: those come from the thresholds (see UpstreamHealth).
      this.#logger.debug({ upstream: prober.upstream, target: prober.url, passed: result.passed, status: result.status, error: result.error }, 'health check result changed');
      prober.lastPassed = result.passed;
    }
    try {
      this.#o.report(prober.upstream, prober.url, result.passed);
      this.#o.onCheck?.({ upstream: prober.upstream, target: prober.url, result });
    } catch (err) {
      this.#logger.error({ upstream: prober.upstream, target: prober.url, err }, 'health check result handler failed');
    }
    this.#schedule(prober, prober.options.intervalMs);
  }
}
