import { createProcessLogger, runMain } from '@gw/app-kit';
import { readRuntimeConfig } from './env.js';
import { startRuntime } from './runtime.js';

void runMain({
  app: 'runtime',
  start: async () => {
    const config = readRuntimeConfig();
    const logger = createProcessLogger({ app: 'runtime', level: config.logLevel, bindings: { runtimeId: config.runtimeId, zone: config.zone } });
    const runtime = await startRuntime(config, logger, process.env['npm_package_version'] ?? '');
    return { logger, stop: () => runtime.stop() };
  },
});
