import type { UpstreamDefinition } from '@gw/api-schema';
import { plainUpstream } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { HealthTransition } from './target-health.js';
import { Upstream, type UpstreamContext } from './upstream.js';

function definition(urls: string[], extra: Partial<UpstreamDefinition> = {}): UpstreamDefinition {
  return plainUpstream(urls, {
    loadBalancing: { algorithm: 'round-robin', hashOn: null, zoneAware: true, minZoneHealthyPercent: 70 },
    healthCheck: { path: '/health', intervalMs: 1_000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1 },
    outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 10_000, maxEjectionMs: 60_000, maxEjectionPercent: 50 },
    ...extra,
  });
}

function context(extra: Partial<UpstreamContext> = {}): UpstreamContext {
  return { localZone: undefined, clock: new ManualClock(), random: Math.random, ...extra };
}

describe('Upstream.follow', () => {
  it('keeps an unchanged upstream as is across config swaps', () => {
    const ctx = context();
    const first = Upstream.follow('orders', definition(['http://a', 'http://b']), undefined, ctx);
    expect(Upstream.follow('orders', definition(['http://a', 'http://b']), first, ctx)).toBe(first);
  });

  it('keeps the health of targets that stay when the upstream changes, forgets removed ones', () => {
    const events: HealthTransition[] = [];
    const ctx = context({ onTransition: (t) => events.push(t) });
    const first = Upstream.follow('orders', definition(['http://a', 'http://b', 'http://c']), undefined, ctx);
    first.report(first.indexOf('http://b'), false); // ejected
    first.health.reportCheck(first.indexOf('http://c'), false); // unhealthy
    expect([...first.health.candidates()]).toEqual([1, 0, 0]);
    const second = Upstream.follow('orders', definition(['http://c', 'http://b', 'http://d']), first, ctx);
    expect(second).not.toBe(first);
    expect([...second.health.candidates()]).toEqual([0, 0, 1]);
    expect(events.map((e) => `${e.target}:${e.event}`)).toEqual(['http://b:ejected', 'http://c:unhealthy']);
  });

  it('clears verdicts of a feature that was switched off', () => {
    const ctx = context();
    const first = Upstream.follow('orders', definition(['http://a', 'http://b']), undefined, ctx);
    first.report(0, false);
    first.health.reportCheck(1, false);
    const second = Upstream.follow('orders', definition(['http://a', 'http://b'], { healthCheck: null, outlierDetection: null }), first, ctx);
    expect([...second.health.candidates()]).toEqual([1, 1]);
  });

  it('carries health through a handle that never served a request', () => {
    const ctx = context({ clock: new ManualClock(1_000) });
    const first = Upstream.follow('orders', definition(['http://a', 'http://b', 'http://c']), undefined, ctx);
    first.report(first.indexOf('http://b'), false); // ejected
    // The second config changes the upstream; nothing uses its handle before the third replaces it.
    const second = Upstream.follow('orders', definition(['http://b', 'http://c', 'http://a']), first, ctx);
    const third = Upstream.follow('orders', definition(['http://c', 'http://b']), second, ctx);
    expect(third.targetStates()).toEqual(['healthy', 'ejected']);
    expect([...third.health.candidates()]).toEqual([1, 0]);
  });

  it('reports target states and breaker status of a handle nothing has used, and of a used one', () => {
    const clock = new ManualClock(1_000);
    const ctx = context({ clock });
    const breaker = { maxConcurrent: 10, maxPending: 0, windowMs: 10_000, minRequests: 1, failureRatePercent: 50, openMs: 5_000, halfOpenRequests: 1 };
    const up = Upstream.follow('orders', definition(['http://a', 'http://b'], { circuitBreaker: breaker }), undefined, ctx);
    expect(up.targetStates()).toEqual(['healthy', 'healthy']);
    expect(up.breakerStatus()).toEqual({ state: 'closed', active: 0 });
    up.report(0, false); // ejects a, opens the breaker
    expect(up.targetStates()).toEqual(['ejected', 'healthy']);
    expect(up.breakerStatus()).toEqual({ state: 'open', active: 0 });
    clock.advance(10_000); // the ejection and the open time end
    expect(up.targetStates()).toEqual(['healthy', 'healthy']);
    expect(up.breakerStatus()?.state).toBe('half-open');
    const off = Upstream.follow('users', definition(['http://a']), undefined, ctx);
    expect(off.breakerStatus()).toBeUndefined();
    expect(off.breaker).toBeUndefined();
  });

  it('keeps the handle for an equal definition written in another key order, and not for a changed one', () => {
    const ctx = context();
    const def = definition(['http://a']);
    const first = Upstream.follow('orders', def, undefined, ctx);
    const reordered = Object.fromEntries(Object.entries(structuredClone(def)).reverse()) as UpstreamDefinition;
    expect(Upstream.follow('orders', reordered, first, ctx)).toBe(first);
    expect(Upstream.follow('orders', { ...def, targets: [{ url: 'http://a', weight: 2, zone: null }] }, first, ctx)).not.toBe(first);
  });

  it('starts another API fresh even from a handle with the same settings', () => {
    const ctx = context();
    const orders = Upstream.follow('orders', definition(['http://a']), undefined, ctx);
    orders.report(0, false);
    const users = Upstream.follow('users', definition(['http://a']), orders, ctx);
    expect(users).not.toBe(orders);
    expect([...users.health.candidates()]).toEqual([1]);
  });

  it('parses its targets once for forwarding', () => {
    const up = Upstream.follow('orders', definition(['https://b.example:8443/base', 'http://a']), undefined, context());
    expect(up.targets.map((t) => [t.origin, t.pathPrefix])).toEqual([
      ['https://b.example:8443', '/base'],
      ['http://a:80', ''],
    ]);
    expect(Object.isFrozen(up.targets)).toBe(true);
  });

  it('prefers targets in its own zone', () => {
    const up = Upstream.follow(
      'orders',
      definition([], {
        targets: [
          { url: 'http://a', weight: 1, zone: 'a' },
          { url: 'http://b', weight: 1, zone: 'b' },
        ],
      }),
      undefined,
      context({ localZone: 'b' }),
    );
    for (let i = 0; i < 5; i++) expect(up.pick(undefined, undefined)).toBe(1);
  });
});
