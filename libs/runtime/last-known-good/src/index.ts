export { CACHE_FILE_NAME, CACHE_FORMAT, encodeCacheFile, decodeCacheFile, type CacheFileMeta, type DecodedCacheFile } from './cache-file.js';
export { CACHE_LOG_NAME, encodeLogRecord, replayLog, snapshotChanges, type LogRecord, type ReplayedLog, type SnapshotChanges } from './cache-log.js';
export { saveSnapshot, writeSnapshot, type DiskState, type SaveMeta, type SaveOptions, type SavedSnapshot, type WriteOptions, type WrittenSnapshot } from './save-snapshot.js';
export { loadSnapshot, type LoadedLog, type LoadedSnapshot, type LoadOptions } from './load-snapshot.js';
export { ConfigCache, type ConfigCacheOptions, type ConfigCacheReport, type CacheBootStatus, type CacheFileStatus, type SaveOutcome } from './config-cache.js';
export { CACHE_DIR_MODE, CACHE_FILE_MODE, tightenCachePermissions } from './cache-permissions.js';
export { DECODED_FILE_NAME, loadDecodedDefinitions, writeDecodedDefinitions, type LoadedDefinitions } from './decoded-definitions.js';
