/** What libraries log through: a fields object first, then a fixed message. */
export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 };

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

export interface JsonLoggerOptions {
  level?: LogLevel;
  bindings?: Record<string, unknown>;
  write?: (line: string) => void;
}

/** One JSON object per line on stdout (or `write`); errors are flattened to message, code and stack. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const bindings = options.bindings ?? {};
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const emit = (level: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>, msg: string) => {
    if (LEVELS[level] < min) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, ...bindings };
    for (const [k, v] of Object.entries(fields)) record[k] = v instanceof Error ? serializeError(v) : v;
    record['msg'] = msg;
    write(JSON.stringify(record) + '\n');
  };
  return {
    debug: (f, m) => emit('debug', f, m),
    info: (f, m) => emit('info', f, m),
    warn: (f, m) => emit('warn', f, m),
    error: (f, m) => emit('error', f, m),
    child: (fields) => createJsonLogger({ ...options, bindings: { ...bindings, ...fields } }),
  };
}

function serializeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { message: err.message, name: err.name };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  if (err.stack) out['stack'] = err.stack;
  return out;
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  return value !== undefined && value in LEVELS ? (value as LogLevel) : fallback;
}
