import type { Logger } from '../logger.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every record (children included, with their bindings) for a test to read. */
export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
  /** Every record as one JSON line, the way a process would print it (to search for leaked values). */
  lines(): string[];
}

export function recordingLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}): RecordingLogger {
  const at = (level: LogRecord['level']) => (fields: Record<string, unknown>, msg: string) => void records.push({ level, fields: { ...bindings, ...fields }, msg });
  return {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => recordingLogger(records, { ...bindings, ...fields }),
    lines: () => records.map((r) => JSON.stringify({ level: r.level, ...r.fields, msg: r.msg })),
  };
}
