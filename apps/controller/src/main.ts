import { createJsonLogger } from '@gw/logging';
import { startController } from './controller.js';
import { readControllerConfig } from './env.js';

const bootLogger = createJsonLogger({ bindings: { app: 'controller' } });

async function main(): Promise<void> {
  const config = readControllerConfig();
  const logger = createJsonLogger({ level: config.logLevel, bindings: { app: 'controller', controllerId: config.controllerId, zone: config.zone } });
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const controller = await startController(config, logger);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutdown requested');
    controller.stop().then(
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
  bootLogger.error({ err }, 'controller failed to start');
  process.exit(1);
});
