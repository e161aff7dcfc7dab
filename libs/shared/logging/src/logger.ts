/** What libraries log through: a fields object first, then a fixed message. */
export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child(fields: Record<string, unknown>): Logger;
}

/** The levels `LOG_LEVEL` accepts, quietest last. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger that drops everything: the default for libraries and unit tests. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/**
 * `parent.child(fields)`, made on first use. A pino child serializes its bindings and sets
 * up its redaction when made (tens of µs), and a config of 10,000 APIs builds thousands of
 * per-API loggers (authenticators, rate limiters) that mostly never log: at boot from the
 * disk cache that was ~3% of the time to ready.
 */
export function lazyChild(parent: Logger, fields: Record<string, unknown>): Logger {
  return madeOnFirstUse(() => parent.child(fields));
}

function madeOnFirstUse(make: () => Logger): Logger {
  let made: Logger | undefined;
  const logger = (): Logger => (made ??= make());
  return {
    debug: (f, msg) => logger().debug(f, msg),
    info: (f, msg) => logger().info(f, msg),
    warn: (f, msg) => logger().warn(f, msg),
    error: (f, msg) => logger().error(f, msg),
    child: (more) => madeOnFirstUse(() => logger().child(more)),
  };
}
