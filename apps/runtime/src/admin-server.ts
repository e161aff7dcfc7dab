import { createServer, type Server, type ServerResponse } from 'node:http';
import type { ConfigClientStatus } from '@gw/config-client';
import type { AppliedConfig } from './runtime-state.js';

export interface AdminSources {
  runtimeId: string;
  zone: string;
  applied: () => Readonly<AppliedConfig> | undefined;
  controller: () => Readonly<ConfigClientStatus>;
  draining: () => boolean;
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
          reason: draining ? 'draining' : applied ? undefined : 'no config applied yet',
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
          apis: applied?.apis ?? 0,
          controller: {
            connected: controller.connected,
            address: controller.address ?? null,
            controllerId: controller.controllerId ?? null,
            controllerZone: controller.controllerZone ?? null,
            lastError: controller.lastError ?? null,
            connects: controller.connects,
          },
        });
      }
      default:
        return json(res, 404, { code: 'GW_NOT_FOUND', message: `no admin endpoint ${path}` });
    }
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
