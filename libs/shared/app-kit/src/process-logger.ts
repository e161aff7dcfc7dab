import type { Logger, LogLevel } from '@gw/logging';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { censorSecret, REDACT_PATHS } from './log-redaction.js';

export interface ProcessLoggerOptions {
  /** `controller`, `runtime`, …: the `app` field of every line. */
  app: string;
  /** Default `info`. */
  level?: LogLevel;
  /** Fields on every line after `app`, e.g. `{ controllerId, zone }`. */
  bindings?: Record<string, unknown>;
  /** Where lines go; default stdout, written synchronously. */
  destination?: DestinationStream;
}

/**
 * The logger of a gateway process: pino, one JSON object per line with `level` as a
 * label (`"level":"info"`), an ISO `time`, `app` and the bindings, then the fields and
 * `msg`. Errors under `err`, `error` or `cause` are serialized with message, code and
 * stack; secrets on the paths of `REDACT_PATHS` are censored. Libraries receive it as the
 * small `Logger` interface of `@gw/logging`, which pino satisfies as it is.
 */
export function createProcessLogger(options: ProcessLoggerOptions): PinoLogger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      // No pid or hostname: the app and its id binding say which process it is.
      base: { app: options.app, ...options.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err, cause: pino.stdSerializers.err },
      redact: { paths: [...REDACT_PATHS], censor: censorSecret },
    },
    // Synchronous: a line logged just before process.exit() (a failed start, a second
    // signal) must not be lost in a buffer, as it would be with an asynchronous stream.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  // Checked at compile time: the apps hand this logger to libraries as a `Logger`.
  return logger satisfies Logger;
}
