import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { UpstreamOptions } from './options.js';
import type { HealthTransition } from './target-health.js';
import { UpstreamRegistry } from './upstream-registry.js';

function options(urls: string[], extra: Partial<UpstreamOptions> = {}): UpstreamOptions {
  return {
    targets: urls.map((url) => ({ url, weight: 1, zone: null })),
    loadBalancing: { algorithm: 'round-robin', hashOn: null, zoneAware: true, minZoneHealthyPercent: 70 },
    timeouts: { connectMs: 1_000, requestMs: 1_000, totalMs: 3_000 },
    retries: { attempts: 2, on: ['connect-failure'], backoffBaseMs: 1, backoffMaxMs: 2, budgetPercent: 20, budgetMinPerSecond: 3 },
    healthCheck: { path: '/health', intervalMs: 1_000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1 },
    outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 10_000, maxEjectionMs: 60_000, maxEjectionPercent: 50 },
    circuitBreaker: null,
    ...extra,
  };
}

describe('UpstreamRegistry', () => {
  it('keeps an unchanged upstream as is across table swaps', () => {
    const registry = new UpstreamRegistry({ clock: new ManualClock() });
    const first = registry.resolve('orders', options(['http://a', 'http://b']));
    expect(registry.sync([{ name: 'orders', options: options(['http://a', 'http://b']) }])).toEqual([first]);
  });

  it('keeps the health of targets that stay when the upstream changes, forgets removed ones', () => {
    const events: HealthTransition[] = [];
    const registry = new UpstreamRegistry({ clock: new ManualClock(), onTransition: (t) => events.push(t) });
    const first = registry.resolve('orders', options(['http://a', 'http://b', 'http://c']));
    first.report(first.indexOf('http://b'), false); // ejected
    registry.reportCheck('orders', 'http://c', false); // unhealthy
    expect([...first.health.candidates()]).toEqual([1, 0, 0]);
    const [second] = registry.sync([{ name: 'orders', options: options(['http://c', 'http://b', 'http://d']) }]);
    expect(second).not.toBe(first);
    expect([...second!.health.candidates()]).toEqual([0, 0, 1]);
    expect(events.map((e) => `${e.target}:${e.event}`)).toEqual(['http://b:ejected', 'http://c:unhealthy']);
  });

  it('clears verdicts of a feature that was switched off', () => {
    const registry = new UpstreamRegistry({ clock: new ManualClock() });
    const first = registry.resolve('orders', options(['http://a', 'http://b']));
    first.report(0, false);
    registry.reportCheck('orders', 'http://b', false);
    const second = registry.resolve('orders', options(['http://a', 'http://b'], { healthCheck: null, outlierDetection: null }));
    expect([...second.health.candidates()]).toEqual([1, 1]);
  });

  it('forgets APIs that left the table and ignores their late check results', () => {
    const registry = new UpstreamRegistry({ clock: new ManualClock() });
    registry.resolve('orders', options(['http://a']));
    registry.sync([{ name: 'users', options: options(['http://u']) }]);
    expect(registry.get('orders')).toBeUndefined();
    registry.reportCheck('orders', 'http://a', false);
    expect(registry.list().map((u) => u.name)).toEqual(['users']);
  });

  it('prefers targets in its own zone', () => {
    const registry = new UpstreamRegistry({ clock: new ManualClock(), localZone: 'b' });
    const up = registry.resolve('orders', {
      ...options([]),
      targets: [
        { url: 'http://a', weight: 1, zone: 'a' },
        { url: 'http://b', weight: 1, zone: 'b' },
      ],
    });
    for (let i = 0; i < 5; i++) expect(up.pick(undefined, undefined)).toBe(1);
  });
});
