import type {
  Snapshot,
  SnapshotApi,
  SnapshotCircuitBreaker,
  SnapshotContent,
  SnapshotHashOn,
  SnapshotHealthCheck,
  SnapshotLoadBalancing,
  SnapshotOutlierDetection,
  SnapshotRetries,
  SnapshotTimeouts,
  SnapshotUpstream,
} from '@gw/config-contract';
import type { Snapshot as ProtoSnapshot } from './generated/gateway/config/v1/Snapshot.js';
import type { Snapshot__Output as ProtoSnapshotOutput } from './generated/gateway/config/v1/Snapshot.js';
import type { Api__Output } from './generated/gateway/config/v1/Api.js';
import type { Upstream, Upstream__Output } from './generated/gateway/config/v1/Upstream.js';
import type { ConfigResponse__Output } from './generated/gateway/config/v1/ConfigResponse.js';
import { policiesFromProto, policiesToProto, rateLimitFromProto, rateLimitToProto } from './policies-codec.js';

/** Domain content → protobuf message. Every field is set, sub-messages included. */
export function contentToProto(content: SnapshotContent): ProtoSnapshot {
  return {
    apis: content.apis.map((api) => ({
      name: api.name,
      hosts: api.hosts,
      basePath: api.basePath,
      stripBasePath: api.stripBasePath,
      routes: api.routes.map((r) => ({ name: r.name, methods: r.methods, path: r.path, rateLimits: r.rateLimits.map(rateLimitToProto) })),
      upstream: upstreamToProto(api.upstream),
      policies: policiesToProto(api.policies),
    })),
  };
}

function upstreamToProto(up: SnapshotUpstream): Upstream {
  const lb = up.loadBalancing;
  const hc = up.healthCheck;
  const od = up.outlierDetection;
  const cb = up.circuitBreaker;
  const r = up.retries;
  return {
    targets: up.targets.map((t) => ({ url: t.url, weight: t.weight, zone: t.zone })),
    loadBalancing: {
      algorithm: lb.algorithm,
      hashOn: { source: lb.hashOn.source, name: lb.hashOn.name },
      zoneAware: lb.zoneAware,
      minZoneHealthyPercent: lb.minZoneHealthyPercent,
    },
    timeouts: { connectMs: up.timeouts.connectMs, requestMs: up.timeouts.requestMs, totalMs: up.timeouts.totalMs },
    retries: {
      attempts: r.attempts,
      on: r.on,
      backoffBaseMs: r.backoffBaseMs,
      backoffMaxMs: r.backoffMaxMs,
      budgetPercent: r.budgetPercent,
      budgetMinPerSecond: r.budgetMinPerSecond,
    },
    healthCheck: {
      enabled: hc.enabled,
      path: hc.path,
      intervalMs: hc.intervalMs,
      timeoutMs: hc.timeoutMs,
      healthyThreshold: hc.healthyThreshold,
      unhealthyThreshold: hc.unhealthyThreshold,
    },
    outlierDetection: {
      enabled: od.enabled,
      consecutiveFailures: od.consecutiveFailures,
      baseEjectionMs: od.baseEjectionMs,
      maxEjectionMs: od.maxEjectionMs,
      maxEjectionPercent: od.maxEjectionPercent,
    },
    circuitBreaker: {
      enabled: cb.enabled,
      maxConcurrent: cb.maxConcurrent,
      maxPending: cb.maxPending,
      failureRatePercent: cb.failureRatePercent,
      windowMs: cb.windowMs,
      minRequests: cb.minRequests,
      openMs: cb.openMs,
      halfOpenRequests: cb.halfOpenRequests,
    },
    hostRewrite: up.hostRewrite,
  };
}

/**
 * A sub-message the encoder always sets but this message lacks. It decodes to `null`
 * (typed as the block) rather than to invented defaults: validation then rejects the
 * snapshot with the field's path, so a malformed message becomes a NACK with a reason.
 */
function missing<T>(): T {
  return null as unknown as T;
}

/**
 * Protobuf message → domain content. Decoding never throws and never invents data: a
 * missing upstream decodes to one with no targets and missing blocks, which validation
 * then rejects, so a malformed message surfaces as a NACK with a reason instead of an exception.
 */
export function contentFromProto(message: ProtoSnapshotOutput | null): SnapshotContent {
  return { apis: (message?.apis ?? []).map(apiFromProto) };
}

function apiFromProto(api: Api__Output): SnapshotApi {
  return {
    name: api.name,
    hosts: [...api.hosts],
    basePath: api.basePath,
    stripBasePath: api.stripBasePath,
    routes: api.routes.map((r) => ({ name: r.name, methods: [...r.methods], path: r.path, rateLimits: (r.rateLimits ?? []).map(rateLimitFromProto) })),
    upstream: upstreamFromProto(api.upstream),
    policies: policiesFromProto(api.policies),
  };
}

function upstreamFromProto(up: Upstream__Output | null): SnapshotUpstream {
  const lb = up?.loadBalancing;
  const hc = up?.healthCheck;
  const od = up?.outlierDetection;
  const cb = up?.circuitBreaker;
  const r = up?.retries;
  const t = up?.timeouts;
  return {
    targets: (up?.targets ?? []).map((x) => ({ url: x.url, weight: x.weight, zone: x.zone })),
    loadBalancing: lb
      ? {
          algorithm: lb.algorithm as SnapshotLoadBalancing['algorithm'],
          hashOn: lb.hashOn ? { source: lb.hashOn.source as SnapshotHashOn['source'], name: lb.hashOn.name } : missing<SnapshotHashOn>(),
          zoneAware: lb.zoneAware,
          minZoneHealthyPercent: lb.minZoneHealthyPercent,
        }
      : missing<SnapshotLoadBalancing>(),
    timeouts: t ? { connectMs: t.connectMs, requestMs: t.requestMs, totalMs: t.totalMs } : missing<SnapshotTimeouts>(),
    retries: r
      ? {
          attempts: r.attempts,
          on: [...r.on] as SnapshotRetries['on'],
          backoffBaseMs: r.backoffBaseMs,
          backoffMaxMs: r.backoffMaxMs,
          budgetPercent: r.budgetPercent,
          budgetMinPerSecond: r.budgetMinPerSecond,
        }
      : missing<SnapshotRetries>(),
    healthCheck: hc
      ? {
          enabled: hc.enabled,
          path: hc.path,
          intervalMs: hc.intervalMs,
          timeoutMs: hc.timeoutMs,
          healthyThreshold: hc.healthyThreshold,
          unhealthyThreshold: hc.unhealthyThreshold,
        }
      : missing<SnapshotHealthCheck>(),
    outlierDetection: od
      ? {
          enabled: od.enabled,
          consecutiveFailures: od.consecutiveFailures,
          baseEjectionMs: od.baseEjectionMs,
          maxEjectionMs: od.maxEjectionMs,
          maxEjectionPercent: od.maxEjectionPercent,
        }
      : missing<SnapshotOutlierDetection>(),
    circuitBreaker: cb
      ? {
          enabled: cb.enabled,
          maxConcurrent: cb.maxConcurrent,
          maxPending: cb.maxPending,
          failureRatePercent: cb.failureRatePercent,
          windowMs: cb.windowMs,
          minRequests: cb.minRequests,
          openMs: cb.openMs,
          halfOpenRequests: cb.halfOpenRequests,
        }
      : missing<SnapshotCircuitBreaker>(),
    hostRewrite: up?.hostRewrite ?? '',
  };
}

/** The snapshot a response carries (its hash is the announced one: verify it before use). */
export function snapshotFromResponse(response: ConfigResponse__Output): Snapshot {
  return {
    version: response.version,
    epoch: response.epoch,
    hash: response.hash,
    content: contentFromProto(response.snapshot),
  };
}
