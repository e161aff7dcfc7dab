import { createJsonLogger } from '@gw/logging';
import { readRuntimeConfig } from './env.js';
import { startRuntime } from './runtime.js';

const bootLogger = createJsonLogger({ bindings: { app: 'runtime' } });

async function main(): Promise<void> {
  const config = readRuntimeConfig();
  const logger = createJsonLogger({ level: config.logLevel, bindings: { app: 'runtime', runtimeId: config.runtimeId, zone: config.zone } });
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const runtime = await startRuntime(config, logger, process.env['npm_package_version'] ?? '');
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'shutdown requested');
    runtime.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  bootLogger.error({ err }, 'runtime failed to start');
  process.exit(1);
});
