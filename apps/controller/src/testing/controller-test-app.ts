import { createControllerHttpApp } from '@gw/deploy-api';
import { silentLogger } from '@gw/logging';
import { SnapshotCache } from '@gw/snapshot-cache';
import { createApiStore, createAuditStore, createControllerHeartbeatStore, createFleetStore, createTokenStore, type Database } from '@gw/store';
import type express from 'express';
import { createObservability, type Observability } from '../observability.js';

/**
 * The controller's HTTP app wired as controller.ts wires it (deploy API, fleet status,
 * controller heartbeats, epoch, /metrics, the fleet page) on a real database, without the
 * config stream: what the specs of the whole route table (roles, OpenAPI) run against.
 */
export function controllerTestApp(db: Database['db'], adminToken: string): { app: express.Express; observability: Observability } {
  const observability = createObservability({
    config: { controllerId: 'ctl-1', zone: 'a', fleetHeartbeatMs: 5_000, fleetStaleAfterMs: 15_000, fleetRetentionMs: 86_400_000 },
    fleetStore: createFleetStore(db),
    fleetWriteStore: createFleetStore(db),
    heartbeatStore: createControllerHeartbeatStore(db),
    buildVersion: '7.7.7',
    cache: new SnapshotCache(),
    sessions: () => [],
    logger: silentLogger,
  });
  const app = createControllerHttpApp({
    store: createApiStore(db),
    tokens: createTokenStore(db),
    audit: createAuditStore(db),
    adminToken,
    readiness: () => ({ ready: true, checks: { database: 'ok' } }),
    extraRoutes: (a) => observability.routes(a),
  });
  return { app, observability };
}
