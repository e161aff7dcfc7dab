import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { ConfigSnapshot } from '@gw/config-contract';
import { CACHE_FILE_NAME, encodeCacheFile } from './cache-file.js';
import { CACHE_LOG_NAME, encodeLogRecord, snapshotChanges } from './cache-log.js';
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
 * What the cache directory holds, as the writer left it: the base file, the log records
 * on top of it, and the snapshot they add up to. Only the process that wrote (or loaded)
 * the directory knows it; `undefined` means "not known", and the next write is a base.
 */
export interface DiskState {
  /** The base file's checksum (`sha256:<hex>`): log records name the base they extend. */
  readonly baseChecksum: string;
  readonly baseBytes: number;
  /** Sound bytes and records of the log (0 when there is none). */
  readonly logBytes: number;
  readonly records: number;
  /** The state base + log describe. */
  readonly snapshot: ConfigSnapshot;
  /** The log has a torn tail or belongs to another base: write a base next (compaction). */
  readonly compactNext: boolean;
}

export interface WriteOptions extends SaveOptions {
  /** What the directory holds now; without it the write is a base. */
  disk?: DiskState | undefined;
  /** Compact (write a base) instead of appending once the log would hold more records (default 1000). */
  maxLogRecords?: number;
}

export interface WrittenSnapshot extends SavedSnapshot {
  /** `append`: one log record; `base`: the whole snapshot (first write, or compaction). */
  kind: 'base' | 'append';
  disk: DiskState;
}

/**
 * Writes the snapshot as the directory's last-known-good file, atomically: a temp file in
 * the same directory is written and fsynced, renamed over `snapshot.json`, then the
 * directory is fsynced so the rename itself survives a power cut. Readers see the old
 * file or the new one, never a mix. Any append log (`snapshot.log`) is then removed: the
 * new base holds everything (a crash before the removal leaves a log that names the old
 * base, which readers ignore). Creates the directory (mode 0700) if needed, tightens
 * a looser one, and writes the file 0600: the config holds secrets (cache-permissions.ts).
 * Throws GatewayError GW_CONFIG_CACHE_WRITE_FAILED; the previous file is then untouched.
 */
export function saveSnapshot(dir: string, snapshot: ConfigSnapshot, meta: SaveMeta, options: SaveOptions = {}): Promise<SavedSnapshot> {
  return serialized(dir, (key) => writeAtomically(key, snapshot, meta, options));
}

/**
 * Writes the snapshot in proportion to what changed since `options.disk`: one appended
 * log record (fsynced) with the resources added, changed and removed, or, when that is
 * not possible or no longer pays, a base (`saveSnapshot`: compaction). A base is written
 * when the disk state is unknown, the log has a torn tail or is stale, the epoch changed,
 * or the log with this record would be larger than the base or hold more than
 * `maxLogRecords` records. Throws GatewayError GW_CONFIG_CACHE_WRITE_FAILED; a failed
 * append may leave a torn record behind, which readers ignore, so the caller must treat
 * the disk state as unknown (and so write a base next).
 */
export function writeSnapshot(dir: string, snapshot: ConfigSnapshot, meta: SaveMeta, options: WriteOptions = {}): Promise<WrittenSnapshot> {
  return serialized(dir, async (key) => {
    const disk = options.disk;
    const savedAt = meta.savedAt ?? new Date();
    if (disk !== undefined && !disk.compactNext && disk.snapshot.epoch === snapshot.epoch) {
      const changes = snapshotChanges(disk.snapshot, snapshot);
      const record = encodeLogRecord({
        base: disk.baseChecksum,
        seq: disk.records + 1,
        version: snapshot.version,
        epoch: snapshot.epoch,
        hash: snapshot.hash,
        savedAt,
        controllerId: meta.controllerId,
        ...changes,
      });
      if (disk.logBytes + record.length <= disk.baseBytes && disk.records + 1 <= (options.maxLogRecords ?? 1_000)) {
        const file = await appendRecord(key, record, disk.records === 0);
        return {
          path: file,
          bytes: record.length,
          checksum: disk.baseChecksum,
          savedAt,
          kind: 'append' as const,
          disk: { ...disk, logBytes: disk.logBytes + record.length, records: disk.records + 1, snapshot },
        };
      }
    }
    const saved = await writeAtomically(key, snapshot, { ...meta, savedAt }, options);
    return { ...saved, kind: 'base' as const, disk: { baseChecksum: saved.checksum, baseBytes: saved.bytes, logBytes: 0, records: 0, snapshot, compactNext: false } };
  });
}

/** Runs writes to one directory one after another, in call order. */
function serialized<T>(dir: string, write: (key: string) => Promise<T>): Promise<T> {
  const key = path.resolve(dir);
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => write(key));
  queues.set(key, run);
  const forget = () => {
    if (queues.get(key) === run) queues.delete(key);
  };
  run.then(forget, forget);
  return run;
}

/**
 * Appends one record to the log and fsyncs it (and the directory when the append created
 * the file). A torn write leaves a last line without its newline, which readers ignore.
 */
async function appendRecord(dir: string, record: Buffer, creates: boolean): Promise<string> {
  const file = path.join(dir, CACHE_LOG_NAME);
  let step = 'open the log';
  try {
    // A log left from another base (or a torn tail) is never appended to: the caller compacts first.
    const handle = await open(file, creates ? 'w' : 'a', CACHE_FILE_MODE);
    try {
      step = 'append to the log';
      await handle.writeFile(record);
      step = 'fsync the log';
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (creates) {
      step = 'fsync the directory';
      await syncDirectory(dir);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new GatewayError(ErrorCodes.GW_CONFIG_CACHE_WRITE_FAILED, `config cache: could not ${step} in ${dir}: ${message}`, { cause: err });
  }
  return file;
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
    step = 'remove the append log the new base replaces';
    await unlink(path.join(dir, CACHE_LOG_NAME)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
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
