import { createServer, type Server } from 'node:http';
import { ConfigClient } from '@gw/config-client';
import type { Logger } from '@gw/logging';
import { createProxyHandler } from '@gw/proxy';
import { createAdminServer } from './admin-server.js';
import type { RuntimeConfig } from './env.js';
import { RuntimeState } from './runtime-state.js';

export interface RunningRuntime {
  httpPort: number;
  adminPort: number;
  stop(): Promise<void>;
}

/** Wires one runtime: config client → runtime state (routing table) → proxy listener, plus the admin listener. */
export async function startRuntime(config: RuntimeConfig, logger: Logger, buildVersion = ''): Promise<RunningRuntime> {
  const state = new RuntimeState({ maxApis: config.maxApis });
  let draining = false;

  const client = new ConfigClient({
    addresses: config.controllerAddresses,
    node: { id: config.runtimeId, zone: config.zone, buildVersion },
    applied: () => state.applied,
    apply: (snapshot, source) => {
      const before = state.applied?.version;
      const verdict = state.apply(snapshot, 'controller', source);
      if (verdict.ok) {
        if (before !== snapshot.version) logger.info({ version: snapshot.version, hash: snapshot.hash, controllerId: source.controllerId }, 'config applied');
      } else {
        logger.warn({ version: snapshot.version, code: verdict.code, reason: verdict.message }, 'config rejected');
      }
      return verdict;
    },
    logger,
  });

  const proxy = createProxyHandler({ getTable: state.getTable, logger });
  const proxyServer = createServer(
    {
      // Bounds against slow clients; the full hardened edge comes with the data-plane work.
      headersTimeout: 10_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 65_000,
    },
    proxy.handle,
  );
  const adminServer = createAdminServer({
    runtimeId: config.runtimeId,
    zone: config.zone,
    applied: () => state.applied,
    controller: () => client.status,
    draining: () => draining,
  });

  const httpPort = await listen(proxyServer, config.httpPort, config.host);
  const adminPort = await listen(adminServer, config.adminPort, config.adminHost);
  client.start();
  logger.info({ httpPort, adminPort, controllers: config.controllerAddresses }, 'runtime started');

  return {
    httpPort,
    adminPort,
    async stop() {
      if (draining) return;
      draining = true;
      logger.info({}, 'runtime stopping');
      await client.stop();
      await closeServer(proxyServer, config.shutdownGraceMs);
      await closeServer(adminServer, 1_000);
      proxy.close();
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
