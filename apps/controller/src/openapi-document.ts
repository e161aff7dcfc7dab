import { buildOpenApiDocument, createControllerHttpApp, listDeclaredRoutes } from '@gw/deploy-api';
import { silentLogger } from '@gw/logging';
import { SnapshotCache } from '@gw/snapshot-cache';
import { createObservability } from './observability.js';

/** A port whose every method throws: declaring routes must not call one. */
function unused<T>(name: string): T {
  return new Proxy({}, { get: (_target, method) => () => Promise.reject(new Error(`${name}.${String(method)} called while describing the routes`)) }) as T;
}

/**
 * The controller's OpenAPI document without a database or a running replica (for
 * tools/openapi-docs.mjs): the HTTP app wired as controller.ts wires it (deploy API,
 * fleet status, epoch, /metrics, the fleet page), over ports it never calls; the
 * document comes from the routes' declarations alone. openapi.spec.ts checks it equals
 * what GET /v1/openapi.json serves.
 */
export function controllerOpenApiDocument(): Record<string, unknown> {
  const observability = createObservability({
    config: { controllerId: 'openapi', zone: 'openapi', fleetHeartbeatMs: 5_000, fleetStaleAfterMs: 15_000, fleetRetentionMs: 86_400_000 },
    fleetStore: unused('fleetStore'),
    fleetWriteStore: unused('fleetWriteStore'),
    heartbeatStore: unused('heartbeatStore'),
    buildVersion: '0',
    cache: new SnapshotCache(),
    sessions: () => [],
    logger: silentLogger,
  });
  const app = createControllerHttpApp({
    store: unused('store'),
    tokens: unused('tokens'),
    audit: unused('audit'),
    authDisabled: true,
    readiness: () => ({ ready: false, checks: {} }),
    extraRoutes: (a) => observability.routes(a),
  });
  return buildOpenApiDocument(listDeclaredRoutes(app));
}
