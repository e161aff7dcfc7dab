export { createProcessLogger, type ProcessLoggerOptions } from './process-logger.js';
export { REDACT_PATHS, REDACTED, censorSecret, censorUrl } from './log-redaction.js';
export { envVar, type EnvVar } from './env-vars.js';
export { readEnv, type EnvDeclarations, type EnvRule, type EnvValues } from './env-reader.js';
export { runMain, type RunMainOptions, type RunningApp } from './run-main.js';
export { onShutdownSignals, type ShutdownSignalOptions } from './shutdown-signals.js';
export type { ProcessHooks } from './process-hooks.js';
// Process metrics are a subpath, `@gw/app-kit/process-metrics`: a CLI reading its env does not load prom-client.
