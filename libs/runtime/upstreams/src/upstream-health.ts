import type { Clock } from './clock.js';
import type { HealthCheck as HealthCheckOptions, LoadBalancing as LoadBalancingOptions, OutlierDetection as OutlierDetectionOptions } from '@gw/api-schema';
import { TargetHealth, type HealthListener, type HealthReason, type HealthEvent } from './target-health.js';

export interface UpstreamHealthOptions {
  /** The API name, for transitions. */
  readonly upstream: string;
  readonly targets: readonly TargetHealth[];
  /** Index-aligned with `targets`. */
  readonly zones: readonly (string | null)[];
  /** This runtime's zone. */
  readonly localZone: string | undefined;
  readonly loadBalancing: Pick<LoadBalancingOptions, 'zoneAware' | 'minZoneHealthyPercent'>;
  readonly healthCheck: Pick<HealthCheckOptions, 'healthyThreshold' | 'unhealthyThreshold'> | null;
  readonly outlierDetection: OutlierDetectionOptions | null;
  readonly clock: Clock;
  readonly onTransition?: HealthListener | undefined;
}

/**
 * The health rules of one upstream, over its targets' `TargetHealth`:
 *
 * - Active checks: `unhealthyThreshold` failures in a row mark a target unhealthy,
 *   `healthyThreshold` successes in a row mark it healthy again. Coming back this way
 *   also ends an outlier ejection: the target demonstrably recovered.
 * - Outlier detection: `consecutiveFailures` 5xx responses or gateway failures in a row
 *   eject a target for `baseEjectionMs × times ejected`, capped at `maxEjectionMs`, unless
 *   that would put more than `maxEjectionPercent` of the targets in ejection (rounded
 *   down: with 3 targets and 50 %, one). The ejection count decays by one for every
 *   `maxEjectionMs` a target spends un-ejected. A restored target is on probation: its
 *   next failure ejects it again (for longer); its next success ends the probation.
 *   Ejections end lazily, on the next pick or `refresh()` after they expire.
 * - Selection: a target is healthy when it passes active checks and is not ejected.
 *   With `zoneAware`, the candidates are the healthy targets in this runtime's zone while
 *   at least `minZoneHealthyPercent` of that zone's targets are healthy; otherwise every
 *   healthy target (spill over). When no target at all is healthy, every target is a
 *   candidate (panic mode, as in Envoy): sending traffic to possibly-bad targets beats
 *   failing every request for sure.
 */
export class UpstreamHealth {
  readonly targets: readonly TargetHealth[];
  readonly #o: UpstreamHealthOptions;
  /** Bumped on every change that can alter the candidate masks. */
  #version = 0;
  #maskVersion = -1;
  readonly #candidates: Uint8Array;
  readonly #healthy: Uint8Array;
  #healthyCount = 0;
  #candidateCount = 0;
  #nextExpiry = Number.POSITIVE_INFINITY;
  /** `1` per target in this runtime's zone; only with `zoneAware` and a zone. */
  readonly #local: Uint8Array | undefined;
  readonly #localCount: number;

  constructor(options: UpstreamHealthOptions) {
    this.#o = options;
    this.targets = options.targets;
    const n = options.targets.length;
    this.#candidates = new Uint8Array(n);
    this.#healthy = new Uint8Array(n);
    let localCount = 0;
    if (options.loadBalancing.zoneAware && options.localZone !== undefined) {
      const local = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (options.zones[i] === options.localZone) {
          local[i] = 1;
          localCount++;
        }
      }
      this.#local = local;
    }
    this.#localCount = localCount;
    // Targets kept from an earlier table may still be ejected.
    for (const t of options.targets) if (t.ejected && t.ejectedUntil < this.#nextExpiry) this.#nextExpiry = t.ejectedUntil;
  }

  /** A counter that changes whenever health changes. */
  get version(): number {
    return this.#version;
  }

  /** Ends expired ejections. Cheap when none is due. */
  refresh(): void {
    const now = this.#o.clock.now();
    if (now < this.#nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.targets) {
      if (!t.ejected) continue;
      if (t.ejectedUntil <= now) this.#restore(t, now, 'ejection-expired');
      else if (t.ejectedUntil < next) next = t.ejectedUntil;
    }
    this.#nextExpiry = next;
  }

  /**
   * Where picks may go, `1` per candidate (see the class comment). Owned by this object
   * and valid until the next health change; do not modify.
   */
  candidates(): Uint8Array {
    this.refresh();
    if (this.#maskVersion !== this.#version) this.#recompute();
    return this.#candidates;
  }

  /** Every healthy target (ignoring zones); all targets in panic mode. Same ownership as `candidates`. */
  healthyMask(): Uint8Array {
    this.refresh();
    if (this.#maskVersion !== this.#version) this.#recompute();
    return this.#healthy;
  }

  /** How many targets are healthy now. */
  get healthyCount(): number {
    this.candidates();
    return this.#healthyCount;
  }

  get candidateCount(): number {
    this.candidates();
    return this.#candidateCount;
  }

  /** One active check result for target `i`. */
  reportCheck(i: number, passed: boolean): void {
    const t = this.targets[i];
    const hc = this.#o.healthCheck;
    if (t === undefined || hc === null) return;
    if (passed) {
      t.checkFailures = 0;
      t.checkSuccesses++;
      if (!t.activeHealthy && t.checkSuccesses >= hc.healthyThreshold) {
        t.activeHealthy = true;
        this.#changed(t, 'healthy', 'active-check');
        if (t.ejected) this.#restore(t, this.#o.clock.now(), 'recovered');
      }
    } else {
      t.checkSuccesses = 0;
      t.checkFailures++;
      if (t.activeHealthy && t.checkFailures >= hc.unhealthyThreshold) {
        t.activeHealthy = false;
        this.#changed(t, 'unhealthy', 'active-check');
      }
    }
  }

  /**
   * The outcome of one try on target `i`: `false` for a 5xx response or a gateway
   * failure (connect failure, reset, timeout). Never call it for a request the gateway
   * itself refused (circuit breaker): that says nothing about the target.
   */
  reportOutcome(i: number, success: boolean): void {
    const od = this.#o.outlierDetection;
    const t = this.targets[i];
    if (od === null || t === undefined) return;
    if (success) {
      t.failures = 0;
      return;
    }
    t.failures++;
    if (t.ejected || t.failures < od.consecutiveFailures) return;
    let ejected = 0;
    for (const other of this.targets) if (other.ejected) ejected++;
    // Never more than maxEjectionPercent of the targets; the failure count stays, so the
    // target is ejected on its next failure once another one is back.
    if ((ejected + 1) * 100 > od.maxEjectionPercent * this.targets.length) return;
    const now = this.#o.clock.now();
    if (t.timesEjected > 0 && t.restoredAt > 0) {
      const decay = Math.floor((now - t.restoredAt) / od.maxEjectionMs);
      if (decay > 0) t.timesEjected = Math.max(0, t.timesEjected - decay);
    }
    t.timesEjected++;
    const ejectionMs = Math.min(od.baseEjectionMs * t.timesEjected, od.maxEjectionMs);
    t.ejected = true;
    t.ejectedUntil = now + ejectionMs;
    t.failures = 0;
    if (t.ejectedUntil < this.#nextExpiry) this.#nextExpiry = t.ejectedUntil;
    this.#changed(t, 'ejected', 'outlier', ejectionMs);
  }

  #restore(t: TargetHealth, now: number, reason: HealthReason): void {
    t.ejected = false;
    t.restoredAt = now;
    // Probation: the next failure ejects again; the next success clears it.
    const od = this.#o.outlierDetection;
    t.failures = od === null ? 0 : Math.max(0, od.consecutiveFailures - 1);
    this.#changed(t, 'restored', reason);
  }

  #changed(t: TargetHealth, event: HealthEvent, reason: HealthReason, ejectionMs?: number): void {
    this.#version++;
    const listener = this.#o.onTransition;
    if (listener === undefined) return;
    const i = this.targets.indexOf(t);
    listener({
      upstream: this.#o.upstream,
      target: t.url,
      zone: this.#o.zones[i] ?? null,
      event,
      reason,
      ...(ejectionMs === undefined ? {} : { ejectionMs, timesEjected: t.timesEjected }),
    });
  }

  #recompute(): void {
    const targets = this.targets;
    const n = targets.length;
    const healthy = this.#healthy;
    const candidates = this.#candidates;
    const local = this.#local;
    let healthyCount = 0;
    let healthyLocal = 0;
    for (let i = 0; i < n; i++) {
      const h = targets[i]!.healthy ? 1 : 0;
      healthy[i] = h;
      healthyCount += h;
      if (local !== undefined && local[i] === 1) healthyLocal += h;
    }
    this.#healthyCount = healthyCount;
    if (healthyCount === 0) {
      healthy.fill(1);
      candidates.fill(1);
      this.#candidateCount = n;
    } else if (this.#localCount > 0 && healthyLocal > 0 && healthyLocal * 100 >= this.#o.loadBalancing.minZoneHealthyPercent * this.#localCount) {
      for (let i = 0; i < n; i++) candidates[i] = local![i]! & healthy[i]!;
      this.#candidateCount = healthyLocal;
    } else {
      candidates.set(healthy);
      this.#candidateCount = healthyCount;
    }
    this.#maskVersion = this.#version;
  }
}
