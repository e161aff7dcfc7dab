import { createProcessLogger, runMain } from '@gw/app-kit';
import { openControllerTls } from './controller-tls.js';
import { readRuntimeConfig } from './env.js';
import { startRuntime } from './runtime.js';

void runMain({
  app: 'runtime',
  start: async () => {
    const env = readRuntimeConfig();
    const base = createProcessLogger({ app: 'runtime', level: env.logLevel, bindings: { zone: env.zone } });
    // With mutual TLS the runtime id comes from the certificate: settle it before anything logs it.
    const { config, tls } = openControllerTls(env, base);
    const logger = base.child({ runtimeId: config.runtimeId });
    const runtime = await startRuntime(config, logger, process.env['npm_package_version'] ?? '', tls);
    return { logger, stop: () => runtime.stop() };
  },
});
