import type { SnapshotUpstream } from '@gw/config-contract';
import type { HashOn, UpstreamOptions } from './options.js';

/**
 * The snapshot's upstream (every field explicit; a feature that is off is an
 * `enabled: false` block, an absent zone is `''`) as this library's options (off = null).
 */
export function upstreamOptionsFromSnapshot(up: Readonly<SnapshotUpstream>): UpstreamOptions {
  const lb = up.loadBalancing;
  const hc = up.healthCheck;
  const od = up.outlierDetection;
  const cb = up.circuitBreaker;
  return {
    targets: up.targets.map((t) => ({ url: t.url, weight: t.weight, zone: t.zone === '' ? null : t.zone })),
    loadBalancing: {
      algorithm: lb.algorithm,
      hashOn: lb.algorithm === 'consistent-hash' ? hashOnFromSnapshot(lb.hashOn) : null,
      zoneAware: lb.zoneAware,
      minZoneHealthyPercent: lb.minZoneHealthyPercent,
    },
    timeouts: { connectMs: up.timeouts.connectMs, requestMs: up.timeouts.requestMs, totalMs: up.timeouts.totalMs },
    retries: {
      attempts: up.retries.attempts,
      on: [...up.retries.on],
      backoffBaseMs: up.retries.backoffBaseMs,
      backoffMaxMs: up.retries.backoffMaxMs,
      budgetPercent: up.retries.budgetPercent,
      budgetMinPerSecond: up.retries.budgetMinPerSecond,
    },
    healthCheck: hc.enabled
      ? { path: hc.path, intervalMs: hc.intervalMs, timeoutMs: hc.timeoutMs, healthyThreshold: hc.healthyThreshold, unhealthyThreshold: hc.unhealthyThreshold }
      : null,
    outlierDetection: od.enabled
      ? { consecutiveFailures: od.consecutiveFailures, baseEjectionMs: od.baseEjectionMs, maxEjectionMs: od.maxEjectionMs, maxEjectionPercent: od.maxEjectionPercent }
      : null,
    circuitBreaker: cb.enabled
      ? {
          maxConcurrent: cb.maxConcurrent,
          maxPending: cb.maxPending,
          failureRatePercent: cb.failureRatePercent,
          windowMs: cb.windowMs,
          minRequests: cb.minRequests,
          openMs: cb.openMs,
          halfOpenRequests: cb.halfOpenRequests,
        }
      : null,
  };
}

function hashOnFromSnapshot(h: Readonly<SnapshotUpstream['loadBalancing']['hashOn']>): HashOn | null {
  switch (h.source) {
    case 'header':
      return { header: h.name };
    case 'cookie':
      return { cookie: h.name };
    case 'client-ip':
      return { clientIp: true };
    default:
      return null;
  }
}
