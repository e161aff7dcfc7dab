export { type Logger, type LogLevel, LOG_LEVELS, lazyChild, silentLogger } from './logger.js';
