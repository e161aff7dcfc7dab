import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { ConfigSnapshot } from '@gw/config-contract';
import { CACHE_FILE_NAME, encodeCacheFile } from './cache-file.js';
import { CACHE_DIR_MODE, CACHE_FILE_MODE, tightenCachePermissions } from './cache-permissions.js';

export interface SaveMeta {
  controllerId: string;
  /** Defaults to now. */
  savedAt?: Date;
}

export interface SaveOptions {
  logger?: Logger;
  /** Temp files older than this are leftovers of a crash and are removed (default 60 s). */
  staleTempMs?: number;
}

export interface SavedSnapshot {
  path: string;
  bytes: number;
  checksum: string;
  savedAt: Date;
}

const TEMP_RE = new RegExp(`^${CACHE_FILE_NAME.replace('.', '\\.')}\\..+\\.tmp$`);

// Saves to one directory from this process run one after another, in call order, so an
// older snapshot can never land after a newer one.
const queues = new Map<string, Promise<unknown>>();

/**
 * Writes the snapshot as the directory's last-known-good file, atomically: a temp file in
 * the same directory is written and fsynced, renamed over `snapshot.json`, then the
 * directory is fsynced so the rename itself survives a power cut. Readers see the old
 * file or the new one, never a mix. Creates the directory (mode 0700) if needed, tightens
 * a looser one, and writes the file 0600: the config holds secrets (cache-permissions.ts).
 * Throws GatewayError GW_CONFIG_CACHE_WRITE_FAILED; the previous file is then untouched.
 */
export function saveSnapshot(dir: string, snapshot: ConfigSnapshot, meta: SaveMeta, options: SaveOptions = {}): Promise<SavedSnapshot> {
  const key = path.resolve(dir);
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => writeAtomically(key, snapshot, meta, options));
  queues.set(key, run);
  const forget = () => {
    if (queues.get(key) === run) queues.delete(key);
  };
  run.then(forget, forget);
  return run;
}

async function writeAtomically(dir: string, snapshot: ConfigSnapshot, meta: SaveMeta, options: SaveOptions): Promise<SavedSnapshot> {
  const savedAt = meta.savedAt ?? new Date();
  const target = path.join(dir, CACHE_FILE_NAME);
  const temp = path.join(dir, `${CACHE_FILE_NAME}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const { bytes, checksum } = encodeCacheFile(snapshot, { controllerId: meta.controllerId, savedAt });
  let step = 'create the directory';
  try {
    await mkdir(dir, { recursive: true, mode: CACHE_DIR_MODE });
    await tightenCachePermissions(dir, options.logger ?? silentLogger);
    step = 'write the temp file';
    const file = await open(temp, 'wx', CACHE_FILE_MODE);
    try {
      await file.writeFile(bytes);
      step = 'fsync the temp file';
      await file.sync();
    } finally {
      await file.close();
    }
    step = 'rename the temp file over the cache file';
    await rename(temp, target);
    step = 'fsync the directory';
    await syncDirectory(dir);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new GatewayError(ErrorCodes.GW_CONFIG_CACHE_WRITE_FAILED, `config cache: could not ${step} in ${dir}: ${message}`, { cause: err });
  }
  await removeStaleTemps(dir, options.staleTempMs ?? 60_000, options.logger ?? silentLogger);
  return { path: target, bytes: bytes.length, checksum, savedAt };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory; the rename is then as durable as they allow.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw err;
  } finally {
    await handle.close();
  }
}

/** A crash between open and rename leaves a temp file behind; readers ignore them, this tidies up. */
async function removeStaleTemps(dir: string, staleMs: number, logger: Logger): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!TEMP_RE.test(name)) continue;
    const file = path.join(dir, name);
    try {
      // Only old ones: a young temp file may belong to a save in flight in another process.
      if (now - (await stat(file)).mtimeMs < staleMs) continue;
      await unlink(file);
      logger.info({ file }, 'config cache: removed a leftover temp file');
    } catch {
      // gone already, or not ours to remove: harmless either way
    }
  }
}
