import { createProcessLogger, runMain } from '@gw/app-kit';
import { startController } from './controller.js';
import { readControllerConfig, readResealConfig } from './env.js';
import { describeReseal, reseal } from './reseal.js';

if (process.argv[2] === 'reseal') {
  // A one-shot command, not a server: the counts on stdout, exit 0; any error, exit 1.
  void (async () => {
    const boot = createProcessLogger({ app: 'controller-reseal' });
    try {
      const config = readResealConfig();
      const logger = createProcessLogger({ app: 'controller-reseal', level: config.logLevel });
      const report = await reseal(config, logger);
      logger.info({ report }, 'reseal done');
      process.stdout.write(`${describeReseal(report)}\n`);
      process.exit(0);
    } catch (err) {
      boot.error({ err }, 'reseal failed');
      process.stderr.write(`reseal failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  })();
} else {
  void runMain({
    app: 'controller',
    start: async () => {
      const config = readControllerConfig();
      const logger = createProcessLogger({ app: 'controller', level: config.logLevel, bindings: { controllerId: config.controllerId, zone: config.zone } });
      const controller = await startController(config, logger);
      return { logger, stop: () => controller.stop() };
    },
  });
}
