import type { Server } from 'node:http';
import v8 from 'node:v8';
import { JwksCacheRegistry } from '@gw/auth';
import { ConfigClient } from '@gw/config-client';
import { registerTlsExpiryGauge, type ReloadingTlsFiles } from '@gw/grpc-tls';
import { MemoryIdempotencyStore, RedisIdempotencyStore } from '@gw/idempotency';
import { ConfigCache } from '@gw/last-known-good';
import type { Logger } from '@gw/logging';
import { EdgeGuard, createProxyHandler, createProxyListener } from '@gw/proxy';
import { RuntimeState, type PolicyEvents } from '@gw/runtime-config';
import { createAdminServer } from './admin-server.js';
import { holdYoungGenerationUnderBufferPressure } from './buffer-pressure.js';
import { removeDeletedApiSeries } from './api-series.js';
import { DecodedDefinitions, bootFromCache, reportedState, saveAppliedSnapshot } from './config-cache-wiring.js';
import type { ResolvedRuntimeConfig } from './controller-tls.js';
import { registerBufferMetrics, registerConnectionMetrics, registerMemoryPressureMetrics } from './overload-metrics.js';
import { PolicyMetrics } from './policy-metrics.js';
import { RequestMetrics } from './request-metrics.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { connectSharedState } from './shared-state-wiring.js';
import { UpstreamLifecycle } from './upstream-lifecycle.js';
import { compactHeap } from './heap-compaction.js';
import { heapGrewEnough, SETTLE_AFTER_APPLY_MS } from './settle-compaction.js';
import { holdYoungGeneration, releaseAfterNextFullGc, withYoungGenerationHeld } from './young-generation.js';

/** An apply that builds at least this many APIs is bulk work for V8's young generation (young-generation.ts). */
const BULK_APPLY_APIS = 1_000;
/** How long after the boot's bulk apply its heap is compacted: past readiness and the boot's own follow-up work (cache write, ACK). */
const COMPACT_AFTER_BOOT_MS = 1_000;

export interface RunningRuntime {
  httpPort: number;
  adminPort: number;
  stop(): Promise<void>;
}

/** Wires one runtime: config client → runtime state (the one config object) → proxy listener, plus the admin listener. */
export async function startRuntime(config: ResolvedRuntimeConfig, logger: Logger, buildVersion = '', tls?: ReloadingTlsFiles): Promise<RunningRuntime> {
  // Until the first config runs, nothing is served and what is allocated is the config (a
  // whole state from the disk cache or a controller, decoded and built): V8 must not size
  // its young generation for good from that (young-generation.ts).
  const bootHold = holdYoungGeneration();
  if (!tls) logger.warn({}, 'CONFIG_INSECURE=true: the config stream is plaintext and any process on CONTROLLER_ADDRESSES can configure this runtime; for local experiments only');
  // Shared state (REDIS_URL) for global rate limits and idempotency keys.
  const sharedState = connectSharedState(config.redisUrl, config.runtimeId, logger);
  const policyEvents: PolicyEvents = {};
  // Reads the state and the client (declared below) only at scrape time.
  const metrics: RuntimeMetrics = new RuntimeMetrics({ applied: () => state.applied, controller: () => client.status });
  if (tls) registerTlsExpiryGauge(metrics.registry, () => ({ client: tls.info.certificateNotAfter, ca: tls.info.caNotAfter }));
  Object.assign(policyEvents, new PolicyMetrics(metrics.registry, () => sharedState.report()).events);
  // Per-API request counts and durations (gateway_http_*), counted on the hot path in plain numbers.
  const requests = new RequestMetrics(metrics.registry);
  // Balancing, health checks, outlier detection, breakers and retry budgets per API, in this ZONE.
  const upstreams: UpstreamLifecycle = new UpstreamLifecycle({ zone: config.zone, logger, register: metrics.registry, config: () => state.getConfig() });
  const policyLogger = logger.child({ component: 'policies' });
  const state: RuntimeState = new RuntimeState({
    maxApis: config.maxApis,
    services: {
      upstreams: upstreams.context,
      // Kept for the runtime's lifetime: a redeploy does not refetch every key set or forget claims.
      jwks: new JwksCacheRegistry({ logger: policyLogger }),
      idempotencyStore: sharedState.redis ? new RedisIdempotencyStore(sharedState.redis) : new MemoryIdempotencyStore(),
      redis: sharedState.redis,
      decisionTimeoutMs: 100,
      events: policyEvents,
      logger: policyLogger,
    },
  });
  let firstSwap = true;
  let compaction: NodeJS.Timeout | undefined;
  /** A bulk apply on a running runtime swapped in: compact once `state.apply` has returned. */
  let compactionDue = false;
  let settle: NodeJS.Timeout | undefined;
  /** V8's committed heap right after the last compaction (settle-compaction.ts). */
  let heapTotalAfterCompaction: number | undefined;
  const compact = (msg: string) => {
    const done = compactHeap();
    heapTotalAfterCompaction = done.heapTotalAfter;
    logger.info({ ms: Math.round(done.ms), heapTotalMb: [done.heapTotalBefore, done.heapTotalAfter].map((b) => Math.round(b / 1_048_576)) }, msg);
  };
  const compactAfterBulkApply = () => compact('heap compacted after a bulk config apply');
  const compactIfGrown = () => {
    if (heapTotalAfterCompaction !== undefined && heapGrewEnough(v8.getHeapStatistics().total_heap_size, heapTotalAfterCompaction)) compact('heap compacted after config changes settled');
  };
  state.onSwap((next, previous, built) => {
    // The boot's garbage is collected by the next full GC, which also resizes the young
    // generation from what survived: held until then. Likewise after any bulk apply (a
    // POST /v1/apply of thousands of APIs arriving on a running runtime).
    if (firstSwap) releaseAfterNextFullGc(bootHold);
    else if (built.length >= BULK_APPLY_APIS) releaseAfterNextFullGc(holdYoungGeneration());
    firstSwap = false;
    // A bulk apply leaves V8 holding the pages it grew into: one compacting GC gives them
    // back (heap-compaction.ts). On a running runtime it is part of the apply (before its
    // ACK), so the pause lands inside the apply's own and never on a deploy that follows: a
    // timer a second later put a 170-290 ms stall on a later single-API deploy (bench:config's
    // p99). It runs once `state.apply` has returned (the controller's apply, below): here the
    // config being replaced is still referenced by the swap and could not be collected. The
    // boot's waits a second, so readiness does not wait for it.
    if (built.length >= BULK_APPLY_APIS) {
      clearTimeout(compaction);
      clearTimeout(settle);
      compaction = undefined;
      if (previous === undefined) {
        compaction = setTimeout(compactAfterBulkApply, COMPACT_AFTER_BOOT_MS);
        compaction.unref();
      } else compactionDue = true;
    } else if (next.apis.size >= BULK_APPLY_APIS) {
      // Small applies on a large config: once they have settled, give back what they grew.
      clearTimeout(settle);
      settle = setTimeout(compactIfGrown, SETTLE_AFTER_APPLY_MS);
      settle.unref();
    }
    upstreams.follow(next);
    // An API left the config: its labelled series leave /metrics too.
    if (previous !== undefined && [...previous.apis.keys()].some((name) => !next.apis.has(name))) {
      const live = new Set(next.apis.keys());
      requests.retainApis(live);
      removeDeletedApiSeries(metrics.registry, live).catch((err: unknown) => logger.warn({ err }, 'could not remove the metrics series of deleted APIs'));
    }
    // JWKS documents are fetched now, so the first request does not wait for them.
    for (const api of built) void api.policies.auth?.prefetch();
  });
  let draining = false;
  // Static stability: the last-known-good snapshot on disk is served before any controller answers.
  // A new base file (the first write, each compaction): the decoded definitions (declared below) follow it.
  const cache = config.configCacheDir ? new ConfigCache({ dir: config.configCacheDir, logger, onBaseWritten: () => decoded?.refresh(state.getConfig()) }) : undefined;
  // In delta mode the cached state is listed to the controller, which sends only what changed meanwhile.
  // What this build decoded from the cached resources before: the boot does not validate it all again.
  const decoded = cache ? new DecodedDefinitions(cache.dir, logger) : undefined;
  const cached = cache ? await bootFromCache(cache, state, logger, decoded) : undefined;

  const client = new ConfigClient({
    addresses: config.controllerAddresses,
    node: { id: config.runtimeId, zone: config.zone, buildVersion },
    applied: () => reportedState(state.applied),
    mode: config.configStreamMode,
    held: cached,
    apply: async (snapshot, source) => {
      const before = state.applied?.version;
      const started = performance.now();
      // A whole state of 10,000 APIs must not leave V8's young generation at its maximum for good (young-generation.ts).
      const verdict = await withYoungGenerationHeld(() => state.apply(snapshot, 'controller', source));
      if (compactionDue) {
        compactionDue = false;
        compactAfterBulkApply();
      }
      if (verdict.ok) metrics.applied(performance.now() - started);
      else metrics.rejected(verdict.code);
      if (verdict.ok) {
        if (before !== snapshot.version) logger.info({ version: snapshot.version, hash: snapshot.hash, controllerId: source.controllerId }, 'config applied');
        // Written before the ACK: what a controller sees as applied survives a restart.
        if (cache) await saveAppliedSnapshot(cache, state, snapshot, source.controllerId);
      } else {
        logger.warn({ version: snapshot.version, code: verdict.code, reason: verdict.message }, 'config rejected');
      }
      return verdict;
    },
    logger,
    keepalive: { timeMs: config.controllerKeepaliveMs, timeoutMs: config.controllerKeepaliveTimeoutMs },
    preferredRetryMs: config.controllerPreferredRetryMs,
    tls: tls ? { files: tls, serverName: config.controllerTlsServerName } : undefined,
  });

  const edge = new EdgeGuard({
    trustedProxyHops: config.trustedProxyHops,
    maxUrlBytes: config.maxUrlBytes,
    maxBodyBytes: config.maxBodyBytes,
    clientBodyTimeoutMs: config.clientBodyTimeoutMs,
    clientSendTimeoutMs: config.clientSendTimeoutMs,
    allowUnderscoresInHeaders: config.allowUnderscoresInHeaders,
  });
  const proxy = createProxyHandler({
    getConfig: state.getConfig,
    logger,
    edge,
    events: upstreams.metrics.events,
    policyEvents,
    requests,
    buffers: {
      memoryBytes: config.bufferMemoryBytes,
      connectionBytes: config.bufferConnectionBytes,
      shedMinLagMs: config.bufferShedMinLagMs,
      requestBytes: config.requestBufferBytes,
      responseBytes: config.responseBufferBytes,
      diskBytes: config.bufferDiskBytes,
      responseDiskBytes: config.responseDiskBytes,
      dir: config.bufferDir,
    },
  });
  registerBufferMetrics(metrics.registry, proxy.budget, proxy.diskBudget);
  // While BUFFER_MEMORY_BYTES is spent, V8 does not grow the young generation either (buffer-pressure.ts).
  const youngGenerationHold = holdYoungGenerationUnderBufferPressure(proxy.budget, undefined, logger);
  registerMemoryPressureMetrics(metrics.registry, youngGenerationHold);
  const proxyListener = createProxyListener(
    proxy,
    {
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      maxHeaderBytes: config.maxHeaderBytes,
      maxConnections: config.maxConnections,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    },
    logger,
  );
  registerConnectionMetrics(metrics.registry, proxyListener.overload);
  const proxyServer = proxyListener.server;
  const adminServer = createAdminServer({
    runtimeId: config.runtimeId,
    zone: config.zone,
    applied: () => state.applied,
    controller: () => client.status,
    draining: () => draining,
    cache: () => cache?.report(),
    sharedState: () => sharedState.report(),
    // At 10,000 APIs a scrape builds megabytes of series that live until sent: like a bulk apply, not a reason to grow the young generation for good.
    metrics: () => withYoungGenerationHeld(() => metrics.render()),
  });

  const httpPort = await listen(proxyServer, config.httpPort, config.host);
  const adminPort = await listen(adminServer, config.adminPort, config.adminHost);
  client.start();
  logger.info({ httpPort, adminPort, controllers: client.status.order }, 'runtime started');

  return {
    httpPort,
    adminPort,
    async stop() {
      if (draining) return;
      // A runtime stopped before its first config gives its hold back (one process may run several, as tests do).
      bootHold();
      clearTimeout(compaction);
      clearTimeout(settle);
      // Graceful drain (README: "Graceful shutdown"): readiness turns 503 at once, the
      // listener keeps serving (with `Connection: close`) while load balancers notice,
      // then stops accepting; requests in flight and WebSockets get their own grace.
      draining = true;
      proxyListener.startDraining();
      logger.info({ drainGraceMs: config.drainGraceMs }, 'runtime draining: readiness is 503, still serving');
      if (config.drainGraceMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainGraceMs));
      logger.info({ inFlightGraceMs: config.shutdownGraceMs, webSocketGraceMs: config.webSocketDrainMs }, 'runtime stopping: listener closed');
      await proxyListener.shutdown({ inFlightGraceMs: config.shutdownGraceMs, webSocketGraceMs: config.webSocketDrainMs });
      await client.stop();
      await decoded?.stop();
      await closeServer(adminServer, 1_000);
      upstreams.stop();
      proxy.close();
      youngGenerationHold.stop();
      await sharedState.close();
      tls?.close();
      logger.info({}, 'runtime stopped');
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Stops accepting, lets in-flight requests finish up to `graceMs`, then closes what is left. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
