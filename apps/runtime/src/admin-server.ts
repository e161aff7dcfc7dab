import { createServer, type Server, type ServerResponse } from 'node:http';
import type { ConfigCacheReport } from '@gw/last-known-good';
import type { ConfigClientStatus } from '@gw/config-client';
import type { AppliedConfig } from '@gw/runtime-config';
import type { SharedStateReport } from './shared-state-wiring.js';

export interface AdminSources {
  runtimeId: string;
  zone: string;
  applied: () => Readonly<AppliedConfig> | undefined;
  controller: () => Readonly<ConfigClientStatus>;
  draining: () => boolean;
  /** The on-disk config cache; undefined when CONFIG_CACHE_DIR is not set. */
  cache?: () => ConfigCacheReport | undefined;
  /** Redis for rate limits and idempotency keys (`REDIS_URL`), or local state. */
  sharedState?: () => SharedStateReport;
  /** Prometheus exposition for `GET /metrics`. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/**
 * The admin listener, separate from the proxy port so that probes and operators never
 * compete with (or get routed like) client traffic.
 */
export function createAdminServer(src: AdminSources): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { code: 'GW_METHOD_NOT_ALLOWED', message: 'admin endpoints are read-only' });
    switch (path) {
      case '/health/live':
        return json(res, 200, { status: 'ok' });
      case '/health/ready': {
        const applied = src.applied();
        const draining = src.draining();
        const ready = applied !== undefined && !draining;
        return json(res, ready ? 200 : 503, {
          status: ready ? 'ready' : 'not ready',
          reason: draining ? 'draining' : applied ? undefined : notReadyReason(src.cache?.()),
          version: applied?.version ?? null,
        });
      }
      case '/config': {
        const applied = src.applied();
        const controller = src.controller();
        return json(res, 200, {
          runtimeId: src.runtimeId,
          zone: src.zone,
          version: applied?.version ?? null,
          epoch: applied?.epoch ?? null,
          hash: applied?.hash ?? null,
          source: applied?.source ?? null,
          appliedAt: applied?.appliedAt.toISOString() ?? null,
          ageMs: applied ? Date.now() - applied.appliedAt.getTime() : null,
          // When the config came from the cache file: when that file was written.
          savedAt: applied?.savedAt?.toISOString() ?? null,
          apis: applied?.apis ?? 0,
          controller: {
            connected: controller.connected,
            address: controller.address ?? null,
            controllerId: controller.controllerId ?? null,
            controllerZone: controller.controllerZone ?? null,
            // false: connected outside this runtime's zone (a failover, or no controller in it).
            inZone: controller.inZone ?? null,
            // 0: the most preferred address; see README (CONTROLLER_ADDRESSES) for the order.
            rank: controller.rank ?? null,
            lastError: controller.lastError ?? null,
            connects: controller.connects,
          },
          // null when CONFIG_CACHE_DIR is not set; see README (Static stability).
          cache: src.cache?.() ?? null,
          // mode "local" without REDIS_URL; see README (Policies).
          sharedState: src.sharedState?.() ?? null,
        });
      }
      case '/metrics':
        if (src.metrics) return sendMetrics(res, src.metrics);
        return json(res, 404, { code: 'GW_NOT_FOUND', message: `no admin endpoint ${path}` });
      default:
        return json(res, 404, { code: 'GW_NOT_FOUND', message: `no admin endpoint ${path}` });
    }
  });
}

function notReadyReason(cache: ConfigCacheReport | undefined): string {
  const boot = cache?.boot;
  if (boot && (boot.status === 'corrupt' || boot.status === 'refused')) return `no config applied yet (config cache ${boot.status}: ${boot.reason})`;
  return 'no config applied yet';
}

function sendMetrics(res: ServerResponse, render: () => Promise<{ contentType: string; body: string }>): void {
  render().then(
    ({ contentType, body }) => {
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    },
    () => json(res, 500, { code: 'GW_INTERNAL', message: 'metrics collection failed' }),
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
