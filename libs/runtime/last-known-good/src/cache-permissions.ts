import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@gw/logging';
import { CACHE_FILE_NAME } from './cache-file.js';
import { CACHE_LOG_NAME } from './cache-log.js';

/** The cache holds the compiled config, HMAC secrets included: only the runtime's user may read it. */
export const CACHE_DIR_MODE = 0o700;
export const CACHE_FILE_MODE = 0o600;

/**
 * Makes `CONFIG_CACHE_DIR` 0700 and `snapshot.json` and `snapshot.log` 0600 when they are found looser (a
 * directory made by hand or by an older runtime). Never throws: what cannot be changed
 * (not the owner, a read-only mount) is logged and left. A directory with the sticky bit
 * (a shared one, like /tmp) is never changed: that would lock others out of it.
 */
// Saves call this every time: what cannot be fixed is said once per path, not per save.
const warned = new Set<string>();
const warnOnce = (logger: Logger, key: string, fields: Record<string, unknown>, msg: string) => {
  if (warned.has(key)) return;
  warned.add(key);
  logger.warn(fields, msg);
};

export async function tightenCachePermissions(dir: string, logger: Logger): Promise<void> {
  await tighten(dir, CACHE_DIR_MODE, logger, true);
  await tighten(path.join(dir, CACHE_FILE_NAME), CACHE_FILE_MODE, logger, false);
  await tighten(path.join(dir, CACHE_LOG_NAME), CACHE_FILE_MODE, logger, false);
}

async function tighten(target: string, mode: number, logger: Logger, isDir: boolean): Promise<void> {
  let current: number;
  try {
    current = (await stat(target)).mode;
  } catch {
    return; // not there (yet): created with the right mode
  }
  if ((current & 0o077) === 0) return;
  const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
  if (isDir && (current & 0o1000) !== 0) {
    warnOnce(logger, `shared:${target}`, { dir: target, mode: octal(current) }, 'config cache: CONFIG_CACHE_DIR is a shared directory (sticky bit); give the runtime a directory of its own so the cached config is private');
    return;
  }
  try {
    await chmod(target, mode);
    logger.warn({ path: target, was: octal(current), now: octal(mode) }, 'config cache: permissions were looser than the runtime allows; tightened');
  } catch (err) {
    warnOnce(logger, `stuck:${target}`, { path: target, mode: octal(current), err }, 'config cache: others can read the cached config and its permissions cannot be tightened');
  }
}
