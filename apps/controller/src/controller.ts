import type { Server } from 'node:http';
import { backoffDelay } from '@gw/backoff';
import { createChangeFeed } from '@gw/change-feed';
import { ConfigServer } from '@gw/config-server';
import { createControllerHttpApp } from '@gw/deploy-api';
import { NackRecallBatcher } from '@gw/fleet-status';
import { registerTlsExpiryGauge, ReloadingTlsFiles } from '@gw/grpc-tls';
import type { Logger } from '@gw/logging';
import { SnapshotCache } from '@gw/snapshot-cache';
import {
  checkSealedSecrets,
  CONFIG_CHANNEL,
  createApiStore,
  createDesiredStateSource,
  createAuditStore,
  createControllerHeartbeatStore,
  createDatabase,
  createFleetStore,
  createTokenStore,
  migrateToLatest,
} from '@gw/store';
import { DatabaseHealth, pingPool } from './database-health.js';
import type { ControllerConfig } from './env.js';
import { feedPosition, fromFeedPosition } from './feed-position.js';
import { fleetPoolMax } from './fleet-pool.js';
import { createObservability } from './observability.js';
import { isSecretKeyError, loadSecretKeyRing, withSecretKeyHint } from './secret-keys.js';
import { SnapshotRefresher } from './snapshot-refresher.js';

export interface RunningController {
  httpPort: number;
  grpcPort: number;
  /** Drains and stops everything; resolves when all sockets and timers are closed. */
  stop(): Promise<void>;
}

/** Waiting for the database at start: a ceiling of 500 ms doubling to 5 s. */
const MIGRATION_RETRY = { baseMs: 500, capMs: 5_000, floorMs: 250 };

/**
 * Wires one controller replica: store → change feed → compiler → snapshot cache →
 * gRPC config server, plus the deploy API. Every replica is identical and active.
 */
export async function startController(config: ControllerConfig, logger: Logger): Promise<RunningController> {
  // Before the database: a missing or malformed key file is a configuration error.
  const secretKeys = await loadSecretKeyRing(config.secretKeys, logger);
  // Read first: unusable certificate files are a start-up error naming the file, before anything else starts.
  const tls = config.configTls
    ? new ReloadingTlsFiles(config.configTls, {
        onLoaded: (info) => logger.info({ certificateNotAfter: info.certificateNotAfter, clientCaNotAfter: info.caNotAfter, fingerprint256: info.fingerprint256 }, 'config stream TLS files loaded'),
        onError: (err) => logger.error({ err }, 'config stream TLS files changed but cannot be used; the previous ones stay in use'),
      })
    : undefined;
  if (!tls) logger.warn({}, 'CONFIG_INSECURE=true: the config stream is plaintext and runtime ids are taken on trust; for local experiments only');
  if (config.authDisabled) {
    logger.warn({ adminAuthDisabled: true }, 'ADMIN_AUTH_DISABLED=true: the deploy API accepts every request without a token (actor "anonymous"); never do this in production');
  }
  const database = createDatabase({
    connectionString: config.databaseUrl,
    poolMax: config.dbPoolMax,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    requestTimeoutMs: config.dbRequestTimeoutMs,
    logger,
  });
  let stopping = false;

  // Two replicas may start together on a fresh database: the store migrates under an
  // advisory lock. A database that is not up yet is waited for, not fatal. Then every
  // sealed secret is opened once: a wrong or missing key stops the start (never retried),
  // rather than failing the first compile or serving garbage.
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(database.db, logger);
      const secrets = await checkSealedSecrets(database.db, secretKeys);
      logger.info({ secrets }, 'secrets in the database checked');
      break;
    } catch (err) {
      if (isSecretKeyError(err)) {
        await database.close();
        throw withSecretKeyHint(err);
      }
      // Jittered, so replicas started together spread out; never sooner than 250 ms.
      const delay = backoffDelay(attempt - 1, MIGRATION_RETRY);
      logger.warn({ err, attempt, retryInMs: delay }, 'database migration failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  const store = createApiStore(database.db, { secrets: secretKeys });
  const cache = new SnapshotCache();
  const fleetStore = createFleetStore(database.db);
  // Fleet bookkeeping (session writes, NACK recall on stream open, controller heartbeat) has
  // a small pool of its own: a fleet of hundreds reconnecting or ACKing never takes the
  // connections the deploy API needs (issue 16).
  const fleetDb = createDatabase({
    connectionString: config.databaseUrl,
    poolMax: fleetPoolMax(config.dbPoolMax),
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    requestTimeoutMs: config.dbRequestTimeoutMs,
    applicationName: 'gw-fleet',
    logger,
  });
  const fleetWriteStore = createFleetStore(fleetDb.db);
  const observability = createObservability({
    config,
    fleetStore,
    fleetWriteStore,
    heartbeatStore: createControllerHeartbeatStore(fleetDb.db),
    cache,
    sessions: () => configServer.sessions(),
    logger,
  });
  const { metrics } = observability;
  if (tls) registerTlsExpiryGauge(metrics.registry, () => ({ server: tls.info.certificateNotAfter, client_ca: tls.info.caNotAfter }));
  const refresher = new SnapshotRefresher(createDesiredStateSource(database.db, { secrets: secretKeys }), cache, logger, {
    compiled: (_snapshot, durationMs, full) => metrics.compiled(durationMs, full),
    failed: () => metrics.refreshFailed(),
  });
  const feed = createChangeFeed({
    connectionString: config.databaseUrl,
    channel: CONFIG_CHANNEL,
    mode: config.changeFeedMode,
    pollIntervalMs: config.pollIntervalMs,
    // (epoch, version) as one number, so an epoch bump after a restore is noticed (feed-position.ts).
    readVersion: async () => feedPosition(await store.readConfigState()),
    // A failed compile (database gone between the version read and the compile) must not
    // count the version as handled, or nothing would retry it until the next deploy.
    onVersion: async (position) => {
      const { version } = fromFeedPosition(position);
      metrics.changeFeedVersion(version);
      await refresher.refresh();
      if (refresher.lastError !== undefined) throw new Error(`snapshot for version ${version} not compiled: ${refresher.lastError}`);
    },
    logger,
  });
  await feed.start();
  await refresher.refresh();
  // Readiness follows the database (promise 9): the deploy API cannot work without it,
  // while streaming the last snapshot to runtimes carries on regardless. The probe has a
  // one-connection pool of its own: a deploy burst that fills the main pool is load, not
  // an outage, and must not turn the replica not ready.
  const healthDb = createDatabase({
    connectionString: config.databaseUrl,
    poolMax: 1,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    statementTimeoutMs: config.dbHealthTimeoutMs,
    applicationName: 'gw-health',
    logger,
  });
  const dbHealth = new DatabaseHealth({
    check: () => pingPool(healthDb.pool, config.dbHealthTimeoutMs),
    intervalMs: config.dbHealthIntervalMs,
    timeoutMs: config.dbHealthTimeoutMs,
    logger,
  });
  await dbHealth.start();

  const nackRecalls = new NackRecallBatcher({ store: fleetWriteStore });
  const configServer = new ConfigServer({
    cache,
    controllerId: config.controllerId,
    zone: config.zone,
    logger,
    callbacks: observability.callbacks,
    tls,
    // NACK memory shared through the fleet status: a runtime failing over from another replica is not sent the version it rejected there.
    // Read in batches: a resync storm's recalls are one statement per few milliseconds, not one each.
    recallNack: (runtimeId) => nackRecalls.recall(runtimeId),
    onFanOut: (ms) => observability.metrics.fannedOut(ms),
    ...(config.admitPerSecond === undefined ? {} : { admission: { perSecond: config.admitPerSecond, burst: config.admitPerSecond } }),
  });
  observability.start();
  const grpcPort = await configServer.listen(`${config.host}:${config.grpcPort}`);

  const app = createControllerHttpApp({
    store,
    tokens: createTokenStore(database.db),
    audit: createAuditStore(database.db),
    ...(config.adminToken === undefined ? {} : { adminToken: config.adminToken }),
    authDisabled: config.authDisabled,
    logger,
    readiness: () => {
      const snapshot = cache.current;
      const checks = {
        snapshot: snapshot ? { version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash } : null,
        lastRefreshError: refresher.lastError ?? null,
        draining: stopping,
        database: dbHealth.report(),
        runtimes: configServer.sessions().length,
        // New config streams waiting for admission (a resync storm) and admitted since start.
        admission: configServer.admissionStats(),
      };
      return { ready: !stopping && snapshot !== undefined && dbHealth.ok, checks };
    },
    extraRoutes: (app) => observability.routes(app),
  });
  const http: Server = await new Promise((resolve, reject) => {
    // Express 5 calls back with the listen error too (EADDRINUSE): without the check a taken
    // port read as a server without an address.
    const server = app.listen(config.httpPort, config.host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.once('error', reject);
  });
  // Behind a load balancer, idle keep-alive sockets must outlive the LB's idle timeout.
  http.keepAliveTimeout = 65_000;
  const httpPort = (http.address() as { port: number }).port;
  logger.info({ controllerId: config.controllerId, zone: config.zone, httpPort, grpcPort, changeFeed: feed.mode ?? config.changeFeedMode }, 'controller started');

  return {
    httpPort,
    grpcPort,
    async stop() {
      if (stopping) return;
      stopping = true;
      logger.info({}, 'controller stopping');
      // Runtimes are told first (their streams end with OK) so they move to another replica at once.
      await configServer.close(Math.min(config.shutdownGraceMs, 2_000));
      // Record those closes (bounded: the database may be down) and end open status waits.
      await observability.stop();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections();
        setTimeout(() => {
          http.closeAllConnections();
        }, config.shutdownGraceMs).unref();
      });
      await feed.stop();
      await dbHealth.stop();
      await healthDb.close();
      await fleetDb.close();
      await database.close();
      tls?.close();
      logger.info({}, 'controller stopped');
    },
  };
}
