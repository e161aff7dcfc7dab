import { open } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import type { ConfigSnapshot } from '@gw/config-contract';
import { CACHE_FILE_NAME, decodeCacheFile } from './cache-file.js';
import { CACHE_LOG_NAME, replayLog } from './cache-log.js';
import type { DiskState } from './save-snapshot.js';

/** What the append log added on load. */
export interface LoadedLog {
  /** Records replayed on top of the base. */
  records: number;
  /** Sound bytes of the log. */
  bytes: number;
  /** Bytes of a torn last record, ignored (a crash mid-append). */
  tornBytes: number;
  /** The log belonged to an older base and was ignored. */
  stale: boolean;
}

export type LoadedSnapshot =
  | { status: 'missing'; path: string }
  | {
      status: 'ok';
      path: string;
      snapshot: ConfigSnapshot;
      /** When the state was written (the last log record, else the base) and by which controller's snapshot. */
      savedAt: Date;
      controllerId: string;
      /** The base file's size and checksum. */
      bytes: number;
      checksum: string;
      log: LoadedLog;
      /** For the writer that continues from here. */
      disk: DiskState;
    }
  | { status: 'corrupt'; path: string; code: ErrorCode; reason: string };

export interface LoadOptions {
  /** A larger file is refused unread (default 512 MiB): a damaged size must not exhaust memory. */
  maxBytes?: number;
}

/**
 * Reads the directory's last-known-good snapshot: the base file, then the append log's
 * records replayed on top of it and verified against the last record's state hash
 * (cache-log.ts). Never throws: no base file (or no directory) is `missing`; a file that
 * cannot be read or cannot be trusted is `corrupt` with the reason. Temp files left by a
 * crashed save are never read; a torn last log record is ignored.
 */
export async function loadSnapshot(dir: string, options: LoadOptions = {}): Promise<LoadedSnapshot> {
  const file = path.join(path.resolve(dir), CACHE_FILE_NAME);
  const maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) {
        return { status: 'corrupt', path: file, code: ErrorCodes.GW_CONFIG_CACHE_UNREADABLE, reason: `the file is ${size} bytes, over the ${maxBytes}-byte limit` };
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { status: 'missing', path: file };
    return { status: 'corrupt', path: file, code: ErrorCodes.GW_CONFIG_CACHE_UNREADABLE, reason: `the file cannot be read: ${e.code ? `${e.code} ` : ''}${e.message}` };
  }
  const decoded = decodeCacheFile(bytes);
  if (!decoded.ok) return { status: 'corrupt', path: file, code: decoded.code, reason: decoded.reason };
  const log = await readLog(path.join(path.resolve(dir), CACHE_LOG_NAME), maxBytes);
  if ('reason' in log) return { status: 'corrupt', path: file, code: ErrorCodes.GW_CONFIG_CACHE_UNREADABLE, reason: log.reason };
  const replayed = replayLog(decoded.snapshot, decoded.checksum, log.bytes);
  if (!replayed.ok) return { status: 'corrupt', path: file, code: replayed.code, reason: replayed.reason };
  const loadedLog: LoadedLog = { records: replayed.records, bytes: replayed.bytes, tornBytes: replayed.tornBytes, stale: replayed.stale };
  return {
    status: 'ok',
    path: file,
    snapshot: replayed.snapshot,
    savedAt: replayed.savedAt ?? decoded.meta.savedAt,
    controllerId: replayed.controllerId ?? decoded.meta.controllerId,
    bytes: bytes.length,
    checksum: decoded.checksum,
    log: loadedLog,
    disk: {
      baseChecksum: decoded.checksum,
      baseBytes: bytes.length,
      logBytes: replayed.bytes,
      records: replayed.records,
      snapshot: replayed.snapshot,
      // A torn tail must not have a record appended after it, nor a stale log: the next write is a base.
      compactNext: replayed.tornBytes > 0 || replayed.stale,
    },
  };
}

/** The log's bytes (empty when there is none), or why it cannot be read. */
async function readLog(file: string, maxBytes: number): Promise<{ bytes: Buffer } | { reason: string }> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) return { reason: `the log ${CACHE_LOG_NAME} is ${size} bytes, over the ${maxBytes}-byte limit` };
      return { bytes: await handle.readFile() };
    } finally {
      await handle.close();
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { bytes: Buffer.alloc(0) };
    return { reason: `the log ${CACHE_LOG_NAME} cannot be read: ${e.code ? `${e.code} ` : ''}${e.message}` };
  }
}
