import { open } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import type { ConfigSnapshot } from '@gw/config-contract';
import { CACHE_FILE_NAME, decodeCacheFile } from './cache-file.js';

export type LoadedSnapshot =
  | { status: 'missing'; path: string }
  | { status: 'ok'; path: string; snapshot: ConfigSnapshot; savedAt: Date; controllerId: string; bytes: number; checksum: string }
  | { status: 'corrupt'; path: string; code: ErrorCode; reason: string };

export interface LoadOptions {
  /** A larger file is refused unread (default 512 MiB): a damaged size must not exhaust memory. */
  maxBytes?: number;
}

/**
 * Reads the directory's last-known-good snapshot. Never throws: no file (or no directory)
 * is `missing`; a file that cannot be read or cannot be trusted is `corrupt` with the
 * reason. Temp files left by a crashed save are never read.
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
  return {
    status: 'ok',
    path: file,
    snapshot: decoded.snapshot,
    savedAt: decoded.meta.savedAt,
    controllerId: decoded.meta.controllerId,
    bytes: bytes.length,
    checksum: decoded.checksum,
  };
}
