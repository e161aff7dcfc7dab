import { combineCallbacks, type ConfigServerCallbacks, type RuntimeSession } from '@gw/config-server';
import { createControllerRouter, createEpochRouter, createFleetRouter, createFleetUiRouter, declareRoute, openApiSchemas, type OperationDoc } from '@gw/deploy-api';
import { ControllerHeartbeat, FleetStatusService, RuntimeSessionRecorder } from '@gw/fleet-status';
import { fleetUiRoot } from '@gw/fleet-ui';
import type { Logger } from '@gw/logging';
import type { SnapshotCache } from '@gw/snapshot-cache';
import type { ControllerHeartbeatStore, FleetStore } from '@gw/store';
import type express from 'express';
import { ConfigStreamMetrics } from './config-stream-metrics.js';
import { ControllerMetrics } from './controller-metrics.js';
import type { ControllerConfig } from './env.js';

const METRICS_DOC: OperationDoc = {
  operationId: 'getMetrics',
  summary: 'Prometheus metrics of this controller replica',
  tags: ['health'],
  responses: { 200: { description: 'The metrics in the Prometheus text format.', contentType: 'text/plain', schema: openApiSchemas.TextBodySchema } },
};

export interface ObservabilityOptions {
  config: Pick<ControllerConfig, 'controllerId' | 'zone' | 'fleetHeartbeatMs' | 'fleetStaleAfterMs' | 'fleetRetentionMs'>;
  /** Fleet reads for the status endpoints and the epoch bump (the deploy API's pool). */
  fleetStore: FleetStore;
  /** Fleet-status writes (session recorder): a pool of their own, so bookkeeping never takes a deploy's connection. */
  fleetWriteStore: Pick<FleetStore, 'recordSessions' | 'forgetRuntimes'>;
  /** This replica's heartbeat row and everyone's (`GET /v1/controllers`). */
  heartbeatStore: ControllerHeartbeatStore;
  /** What this replica reports as its build (like runtimes do). */
  buildVersion?: string;
  cache: SnapshotCache;
  /** The config server's open sessions (read at scrape time). */
  sessions: () => readonly Readonly<RuntimeSession>[];
  logger: Logger;
}

export interface Observability {
  metrics: ControllerMetrics;
  fleet: FleetStatusService;
  recorder: RuntimeSessionRecorder;
  heartbeat: ControllerHeartbeat;
  /** For the ConfigServer: fleet status first, then metrics. */
  callbacks: ConfigServerCallbacks;
  /** `/v1/runtimes`, `/v1/status`, `/v1/controllers` (viewer), `/v1/config/epoch` (admin), `/metrics` and the fleet page `/ui/` (public). */
  routes(app: express.Express): void;
  start(): void;
  /** After the config server closed its streams: writes their closes (bounded) and ends waits. */
  stop(): Promise<void>;
}

/** Fleet status (PostgreSQL) and Prometheus metrics for one controller replica. */
export function createObservability(options: ObservabilityOptions): Observability {
  const { config, logger } = options;
  const snapshotRef = () => {
    const s = options.cache.current;
    return s ? { version: s.version, epoch: s.epoch, hash: s.hash } : undefined;
  };
  // The metrics read the recorder (declared below) only at scrape time.
  const metrics = new ControllerMetrics({ sessions: options.sessions, fleetPending: () => recorder.stats.pending, snapshot: snapshotRef });
  const streamMetrics = new ConfigStreamMetrics(metrics.registry);
  const fleet = new FleetStatusService({
    store: options.fleetStore,
    controllerId: config.controllerId,
    zone: config.zone,
    localSnapshot: snapshotRef,
    staleAfterMs: config.fleetStaleAfterMs,
    logger,
  });
  const recorder = new RuntimeSessionRecorder({
    store: options.fleetWriteStore,
    controllerId: config.controllerId,
    heartbeatMs: config.fleetHeartbeatMs,
    staleAfterMs: config.fleetStaleAfterMs,
    retentionMs: config.fleetRetentionMs,
    logger,
    onFlushed: () => {
      metrics.fleetWrite(true);
      // This replica just recorded ACKs: status waits re-check now instead of at their next poll.
      fleet.changed();
    },
    onWriteFailed: () => metrics.fleetWrite(false),
  });
  const heartbeat = new ControllerHeartbeat({
    store: options.heartbeatStore,
    controllerId: config.controllerId,
    zone: config.zone,
    buildVersion: options.buildVersion ?? '',
    localSnapshot: snapshotRef,
    heartbeatMs: config.fleetHeartbeatMs,
    staleAfterMs: config.fleetStaleAfterMs,
    retentionMs: config.fleetRetentionMs,
    logger,
  });
  return {
    metrics,
    fleet,
    recorder,
    heartbeat,
    callbacks: combineCallbacks([recorder.callbacks, metrics.callbacks, streamMetrics.callbacks], (err, hook) => logger.error({ err, hook }, 'config server callback failed')),
    routes(app) {
      app.use(createFleetRouter({ fleet, logger }));
      app.use(createEpochRouter({ fleet, logger }));
      app.use(createControllerRouter({ controllers: () => heartbeat.report() }));
      app.use(createFleetUiRouter({ root: fleetUiRoot, logger }));
      declareRoute(app, '/metrics', {
        get: [
          'public',
          METRICS_DOC,
          async (_req, res) => {
            const { contentType, body } = await metrics.render();
            res.setHeader('Content-Type', contentType);
            res.setHeader('Cache-Control', 'no-store');
            res.send(body);
          },
        ],
      });
    },
    start() {
      recorder.start();
      heartbeat.start();
    },
    async stop() {
      await heartbeat.stop();
      await fleet.stop();
      await recorder.stop(1_000);
    },
  };
}
