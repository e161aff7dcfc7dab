export { type Logger, type LogLevel, type JsonLoggerOptions, silentLogger, createJsonLogger, parseLogLevel } from './logger.js';
