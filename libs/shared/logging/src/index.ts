export { type Logger, type LogLevel, LOG_LEVELS, silentLogger } from './logger.js';
