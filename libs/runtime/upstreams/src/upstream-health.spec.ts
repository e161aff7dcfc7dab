import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { OutlierDetection as OutlierDetectionOptions } from '@gw/api-schema';
import { TargetHealth, type HealthTransition } from './target-health.js';
import { UpstreamHealth } from './upstream-health.js';

const OUTLIER: OutlierDetectionOptions = { consecutiveFailures: 3, baseEjectionMs: 1_000, maxEjectionMs: 2_500, maxEjectionPercent: 50 };

function setup(
  n: number,
  options: {
    zones?: (string | null)[];
    localZone?: string;
    zoneAware?: boolean;
    minZoneHealthyPercent?: number;
    outlier?: OutlierDetectionOptions | null;
    checks?: boolean;
  } = {},
) {
  const clock = new ManualClock(10_000);
  const events: HealthTransition[] = [];
  const targets = Array.from({ length: n }, (_, i) => new TargetHealth('orders', `http://t${i}`));
  const health = new UpstreamHealth({
    upstream: 'orders',
    targets,
    zones: options.zones ?? targets.map(() => null),
    localZone: options.localZone,
    loadBalancing: { zoneAware: options.zoneAware ?? true, minZoneHealthyPercent: options.minZoneHealthyPercent ?? 70 },
    healthCheck: options.checks === false ? null : { healthyThreshold: 2, unhealthyThreshold: 3 },
    outlierDetection: options.outlier === undefined ? OUTLIER : options.outlier,
    clock,
    onTransition: (t) => events.push(t),
  });
  const fail = (i: number, times: number) => {
    for (let k = 0; k < times; k++) health.reportOutcome(i, false);
  };
  return { clock, events, targets, health, fail, mask: () => [...health.candidates()] };
}

describe('UpstreamHealth: outlier ejection', () => {
  it('ejects after consecutiveFailures in a row; a success in between resets the streak', () => {
    const { health, fail, mask, events } = setup(4);
    fail(0, 2);
    health.reportOutcome(0, true);
    fail(0, 2);
    expect(mask()).toEqual([1, 1, 1, 1]);
    fail(0, 1);
    expect(mask()).toEqual([0, 1, 1, 1]);
    expect(events).toEqual([
      { upstream: 'orders', target: 'http://t0', zone: null, event: 'ejected', reason: 'outlier', ejectionMs: 1_000, timesEjected: 1 },
    ]);
  });

  it('restores when the ejection expires, ejects longer (base × times, capped) each time', () => {
    const { clock, health, fail, mask, events } = setup(4);
    fail(0, 3);
    clock.advance(999);
    expect(mask()).toEqual([0, 1, 1, 1]);
    clock.advance(1);
    expect(mask()).toEqual([1, 1, 1, 1]);
    // Probation: one failure ejects again, now for 2 × base.
    fail(0, 1);
    expect(mask()[0]).toBe(0);
    clock.advance(2_000);
    expect(mask()[0]).toBe(1);
    fail(0, 1);
    // 3 × base = 3000 is capped at 2500.
    clock.advance(2_499);
    expect(mask()[0]).toBe(0);
    clock.advance(1);
    expect(mask()[0]).toBe(1);
    expect(events.map((e) => `${e.event}:${e.reason}:${e.ejectionMs ?? ''}`)).toEqual([
      'ejected:outlier:1000',
      'restored:ejection-expired:',
      'ejected:outlier:2000',
      'restored:ejection-expired:',
      'ejected:outlier:2500',
      'restored:ejection-expired:',
    ]);
  });

  it('ends probation on a success, and the ejection multiplier decays while the target behaves', () => {
    const { clock, health, fail, mask, events } = setup(4);
    fail(0, 3);
    clock.advance(1_000);
    mask();
    health.reportOutcome(0, true);
    fail(0, 2);
    expect(mask()[0]).toBe(1); // probation over: needs the full streak again
    // Two maxEjectionMs periods un-ejected: the count decays from 1 to 0, so base again.
    clock.advance(5_000);
    fail(0, 1);
    expect(events.at(-1)).toMatchObject({ event: 'ejected', ejectionMs: 1_000, timesEjected: 1 });
  });

  it('never ejects more than maxEjectionPercent of the targets', () => {
    const { health, fail, mask } = setup(3);
    fail(0, 3);
    fail(1, 3);
    // 50 % of 3 is 1.5: at most one target is ejected.
    expect(mask()).toEqual([0, 1, 1]);
    expect(health.targets[1]!.ejected).toBe(false);
    const { fail: fail4, mask: mask4 } = setup(4);
    fail4(0, 3);
    fail4(1, 3);
    fail4(2, 3);
    expect(mask4()).toEqual([0, 0, 1, 1]);
  });

  it('ejects the waiting target on its next failure once another one is back', () => {
    const { clock, fail, mask } = setup(3);
    fail(0, 3);
    fail(1, 3);
    clock.advance(1_000);
    expect(mask()).toEqual([1, 1, 1]);
    fail(1, 1);
    expect(mask()).toEqual([1, 0, 1]);
  });

  it('does nothing with outlier detection off', () => {
    const { fail, mask, events } = setup(2, { outlier: null });
    fail(0, 100);
    expect(mask()).toEqual([1, 1]);
    expect(events).toEqual([]);
  });
});

describe('UpstreamHealth: active checks', () => {
  it('marks unhealthy after unhealthyThreshold failures and healthy after healthyThreshold passes', () => {
    const { health, mask, events } = setup(3);
    health.reportCheck(1, false);
    health.reportCheck(1, false);
    expect(mask()).toEqual([1, 1, 1]);
    health.reportCheck(1, false);
    expect(mask()).toEqual([1, 0, 1]);
    health.reportCheck(1, true);
    expect(mask()).toEqual([1, 0, 1]);
    health.reportCheck(1, true);
    expect(mask()).toEqual([1, 1, 1]);
    expect(events.map((e) => `${e.target}:${e.event}:${e.reason}`)).toEqual(['http://t1:unhealthy:active-check', 'http://t1:healthy:active-check']);
  });

  it('a target that recovers by active checks is also restored from ejection', () => {
    const { health, fail, mask, events } = setup(3);
    fail(0, 3);
    for (let i = 0; i < 3; i++) health.reportCheck(0, false);
    expect(mask()).toEqual([0, 1, 1]);
    health.reportCheck(0, true);
    health.reportCheck(0, true);
    expect(mask()).toEqual([1, 1, 1]);
    expect(events.map((e) => `${e.event}:${e.reason}`)).toEqual(['ejected:outlier', 'unhealthy:active-check', 'healthy:active-check', 'restored:recovered']);
  });

  it('passing checks alone do not end an ejection of a target that stayed healthy by checks', () => {
    const { health, fail, mask } = setup(3);
    fail(0, 3);
    for (let i = 0; i < 5; i++) health.reportCheck(0, true);
    expect(mask()[0]).toBe(0);
  });

  it('ignores check results without a health check configured', () => {
    const { health, mask } = setup(2, { checks: false });
    for (let i = 0; i < 5; i++) health.reportCheck(0, false);
    expect(mask()).toEqual([1, 1]);
  });
});

describe('UpstreamHealth: zones and panic', () => {
  const zones = ['a', 'a', 'a', 'b', 'b', null];

  it('prefers healthy targets in the local zone', () => {
    const { mask } = setup(6, { zones, localZone: 'a' });
    expect(mask()).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('stays local while at least minZoneHealthyPercent of the zone is healthy, else spills over', () => {
    const { health, mask } = setup(6, { zones, localZone: 'a', minZoneHealthyPercent: 60, outlier: null });
    for (let k = 0; k < 3; k++) health.reportCheck(0, false);
    // 2 of 3 healthy = 66 % ≥ 60 %: still local only.
    expect(mask()).toEqual([0, 1, 1, 0, 0, 0]);
    for (let k = 0; k < 3; k++) health.reportCheck(1, false);
    // 1 of 3 = 33 %: every healthy target, in any zone.
    expect(mask()).toEqual([0, 0, 1, 1, 1, 1]);
  });

  it('ignores zones when not zone-aware, without a local zone, or when no target is local', () => {
    expect(setup(6, { zones, localZone: 'a', zoneAware: false }).mask()).toEqual([1, 1, 1, 1, 1, 1]);
    expect(setup(6, { zones }).mask()).toEqual([1, 1, 1, 1, 1, 1]);
    expect(setup(6, { zones, localZone: 'c' }).mask()).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('uses every target when none is healthy (panic mode)', () => {
    const { health, mask } = setup(2, { outlier: null });
    for (let k = 0; k < 3; k++) {
      health.reportCheck(0, false);
      health.reportCheck(1, false);
    }
    expect(health.healthyCount).toBe(0);
    expect(mask()).toEqual([1, 1]);
  });
});
