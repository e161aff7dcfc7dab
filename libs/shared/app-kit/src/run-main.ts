import { ErrorCodes, isGatewayError } from '@gw/errors';
import type { Logger } from '@gw/logging';
import type { ProcessHooks } from './process-hooks.js';
import { createProcessLogger } from './process-logger.js';
import { onShutdownSignals } from './shutdown-signals.js';

/** A started app: the logger it runs with and how to stop it gracefully. */
export interface RunningApp {
  logger: Logger;
  stop(): Promise<void>;
}

export interface RunMainOptions {
  /** `controller`, `runtime`: names the process in its log and in the start failure. */
  app: string;
  /** Reads the environment, builds the app's logger and starts it. A throw fails the start. */
  start: () => Promise<RunningApp>;
  /** Logs until `start` returns (default: a process logger at `info` with only `app`). */
  bootLogger?: Logger;
  process?: ProcessHooks;
}

/**
 * The boot of a gateway process. Starts the app; a failed start is logged (an invalid
 * environment as its list of problems, without a stack trace: it is the operator's to
 * fix, not a bug) and exits 1. Once started, the first SIGTERM or SIGINT stops it once and
 * exits 0 (1 if the stop fails); a second signal exits 1 at once. An unhandled rejection
 * is logged, never a crash.
 */
export async function runMain(options: RunMainOptions): Promise<void> {
  const proc = options.process ?? process;
  const bootLogger = options.bootLogger ?? createProcessLogger({ app: options.app });
  let logger = bootLogger;
  proc.on('unhandledRejection', (err: unknown) => logger.error({ err }, 'unhandled rejection'));

  let app: RunningApp;
  try {
    app = await options.start();
  } catch (err) {
    if (isGatewayError(err) && err.code === ErrorCodes.GW_CONFIG_ENV) {
      bootLogger.error({ code: err.code, problems: err.details?.['problems'] ?? [err.message] }, `${options.app} not started: invalid environment`);
    } else {
      bootLogger.error({ err }, `${options.app} failed to start`);
    }
    proc.exit(1);
    return;
  }

  logger = app.logger;
  onShutdownSignals({
    process: proc,
    onFirst: (signal) => {
      logger.info({ signal }, 'shutdown requested');
      app.stop().then(
        () => proc.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          proc.exit(1);
        },
      );
    },
    onRepeat: (signal) => {
      logger.warn({ signal }, 'second signal: exiting now');
      proc.exit(1);
    },
  });
}
