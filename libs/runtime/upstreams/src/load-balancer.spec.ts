import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { LoadBalancer } from './load-balancer.js';
import type { LoadBalancingAlgorithm } from '@gw/api-schema';
import { TargetHealth } from './target-health.js';
import { UpstreamHealth } from './upstream-health.js';

function setup(algorithm: LoadBalancingAlgorithm, n = 3, zones?: (string | null)[], localZone?: string) {
  const keys = Array.from({ length: n }, (_, i) => `http://t${i}`);
  const targets = keys.map((k) => new TargetHealth('api', k));
  const health = new UpstreamHealth({
    upstream: 'api',
    targets,
    zones: zones ?? keys.map(() => null),
    localZone,
    loadBalancing: { zoneAware: true, minZoneHealthyPercent: 50 },
    healthCheck: { healthyThreshold: 1, unhealthyThreshold: 1 },
    outlierDetection: null,
    clock: new ManualClock(),
  });
  const active = new Int32Array(n);
  const lb = new LoadBalancer({ algorithm, keys, weights: keys.map(() => 1), health, active, random: Math.random });
  return { lb, health, active };
}

describe('LoadBalancer', () => {
  it('round robin skips unhealthy targets', () => {
    const { lb, health } = setup('round-robin');
    health.reportCheck(1, false);
    expect(Array.from({ length: 4 }, () => lb.pick(undefined, undefined))).toEqual([0, 2, 0, 2]);
  });

  for (const algorithm of ['round-robin', 'least-request', 'consistent-hash'] as const) {
    it(`${algorithm}: a retry goes to a target not tried yet while one exists`, () => {
      const { lb } = setup(algorithm);
      for (let round = 0; round < 50; round++) {
        const first = lb.pick('key-1', undefined);
        const second = lb.pick('key-1', [first]);
        const third = lb.pick('key-1', [first, second]);
        expect(new Set([first, second, third]).size).toBe(3);
        // Everything tried: repeats one rather than failing.
        expect([0, 1, 2]).toContain(lb.pick('key-1', [first, second, third]));
      }
    });
  }

  it('a retry spills to a healthy target in another zone before repeating a local one', () => {
    const { lb } = setup('round-robin', 3, ['a', 'b', 'b'], 'a');
    expect(lb.pick(undefined, undefined)).toBe(0);
    expect([1, 2]).toContain(lb.pick(undefined, [0]));
  });

  it('a retry prefers an untried unhealthy-free target over an unhealthy one', () => {
    const { lb, health } = setup('round-robin');
    health.reportCheck(2, false);
    expect(lb.pick(undefined, [0])).toBe(1);
    // Both healthy ones tried: repeat a healthy one, never the unhealthy one.
    expect([0, 1]).toContain(lb.pick(undefined, [0, 1]));
  });

  it('consistent hashing keeps a key on one target and falls back to round robin without a key', () => {
    const { lb } = setup('consistent-hash', 5);
    const first = lb.pick('user-42', undefined);
    for (let i = 0; i < 20; i++) expect(lb.pick('user-42', undefined)).toBe(first);
    expect(Array.from({ length: 5 }, () => lb.pick(undefined, undefined)).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('least request never picks the busiest target (it always loses its draw)', () => {
    const { lb, active } = setup('least-request');
    active[0] = 10;
    active[1] = 5;
    for (let i = 0; i < 50; i++) expect(lb.pick(undefined, undefined)).not.toBe(0);
  });
});
