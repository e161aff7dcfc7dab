import { plainUpstream } from '@gw/config-contract/testing';
import { describe, expect, it } from 'vitest';
import { upstreamOptionsFromSnapshot } from './snapshot-upstream.js';

describe('upstreamOptionsFromSnapshot', () => {
  it('turns disabled blocks into null and empty zones into no zone', () => {
    const o = upstreamOptionsFromSnapshot(plainUpstream(['http://a:1', { url: 'http://b:2', zone: 'z1', weight: 3 }]));
    expect(o.targets).toEqual([
      { url: 'http://a:1', weight: 1, zone: null },
      { url: 'http://b:2', weight: 3, zone: 'z1' },
    ]);
    expect([o.healthCheck, o.outlierDetection, o.circuitBreaker, o.loadBalancing.hashOn]).toEqual([null, null, null, null]);
  });

  it('keeps enabled blocks and maps every hash source', () => {
    const base = plainUpstream(['http://a:1'], {
      healthCheck: { enabled: true, path: '/h', intervalMs: 10, timeoutMs: 5, healthyThreshold: 1, unhealthyThreshold: 2 },
      outlierDetection: { enabled: true, consecutiveFailures: 3, baseEjectionMs: 1, maxEjectionMs: 2, maxEjectionPercent: 10 },
      circuitBreaker: { enabled: true, maxConcurrent: 1, maxPending: 2, failureRatePercent: 3, windowMs: 4, minRequests: 5, openMs: 6, halfOpenRequests: 7 },
    });
    const o = upstreamOptionsFromSnapshot(base);
    expect(o.healthCheck).toEqual({ path: '/h', intervalMs: 10, timeoutMs: 5, healthyThreshold: 1, unhealthyThreshold: 2 });
    expect(o.outlierDetection).toEqual({ consecutiveFailures: 3, baseEjectionMs: 1, maxEjectionMs: 2, maxEjectionPercent: 10 });
    expect(o.circuitBreaker).toMatchObject({ maxConcurrent: 1, maxPending: 2, halfOpenRequests: 7 });
    const hashed = (source: 'header' | 'cookie' | 'client-ip', name: string) =>
      upstreamOptionsFromSnapshot({ ...base, loadBalancing: { algorithm: 'consistent-hash', hashOn: { source, name }, zoneAware: false, minZoneHealthyPercent: 0 } }).loadBalancing.hashOn;
    expect(hashed('header', 'x-user')).toEqual({ header: 'x-user' });
    expect(hashed('cookie', 'sid')).toEqual({ cookie: 'sid' });
    expect(hashed('client-ip', '')).toEqual({ clientIp: true });
  });
});
