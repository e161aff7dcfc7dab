/** What changed about a target's health. */
export type HealthEvent = 'unhealthy' | 'healthy' | 'ejected' | 'restored';

/** Why it changed. */
export type HealthReason =
  /** `unhealthyThreshold` failed active checks in a row, or `healthyThreshold` passed ones. */
  | 'active-check'
  /** `consecutiveFailures` 5xx responses or gateway failures in a row. */
  | 'outlier'
  /** The ejection time ran out. */
  | 'ejection-expired'
  /** Active checks brought the target back from unhealthy, which also ends its ejection. */
  | 'recovered';

export interface HealthTransition {
  /** The API whose upstream the target belongs to. */
  readonly upstream: string;
  /** The target URL. */
  readonly target: string;
  readonly zone: string | null;
  readonly event: HealthEvent;
  readonly reason: HealthReason;
  /** For `ejected`: how long, and how many times this target has been ejected (after decay). */
  readonly ejectionMs?: number;
  readonly timesEjected?: number;
}

/** A target's health as gauges and status pages show it. */
export type TargetState = 'healthy' | 'unhealthy' | 'ejected';

export type HealthListener = (transition: HealthTransition) => void;

/**
 * The health of one target of one upstream: the active checks' verdict plus passive
 * outlier ejection. Plain mutable state; `UpstreamHealth` applies the rules. Kept across
 * routing-table swaps for every target that stays in its upstream.
 */
export class TargetHealth {
  /** The active checks' verdict; a new target is healthy until checks say otherwise. */
  activeHealthy = true;
  /** Consecutive passed / failed active checks (one of them is 0). */
  checkSuccesses = 0;
  checkFailures = 0;
  /** Consecutive passive failures (5xx or gateway failures). */
  failures = 0;
  ejected = false;
  /** Clock time the ejection ends; meaningful while `ejected`. */
  ejectedUntil = 0;
  /** How many times the target was ejected; multiplies the next ejection time, decays while it behaves. */
  timesEjected = 0;
  /** Clock time of the last restore from an ejection. */
  restoredAt = 0;

  constructor(
    readonly upstream: string,
    readonly url: string,
  ) {}

  get healthy(): boolean {
    return this.activeHealthy && !this.ejected;
  }

  /** `healthy`, `unhealthy` (active checks) or `ejected` (passive): for status pages and gauges. */
  get state(): TargetState {
    return this.ejected ? 'ejected' : this.activeHealthy ? 'healthy' : 'unhealthy';
  }
}
