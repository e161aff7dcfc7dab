import { createProcessLogger, runMain } from '@gw/app-kit';
import { startController } from './controller.js';
import { readControllerConfig } from './env.js';

void runMain({
  app: 'controller',
  start: async () => {
    const config = readControllerConfig();
    const logger = createProcessLogger({ app: 'controller', level: config.logLevel, bindings: { controllerId: config.controllerId, zone: config.zone } });
    const controller = await startController(config, logger);
    return { logger, stop: () => controller.stop() };
  },
});
