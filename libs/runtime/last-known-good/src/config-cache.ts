import path from 'node:path';
import { silentLogger, type Logger } from '@gw/logging';
import type { ConfigSnapshot } from '@gw/config-contract';
import { CACHE_FILE_NAME } from './cache-file.js';
import { tightenCachePermissions } from './cache-permissions.js';
import { loadSnapshot, type LoadedSnapshot, type LoadOptions } from './load-snapshot.js';
import { writeSnapshot, type DiskState } from './save-snapshot.js';

/** How the boot-time load went. `refused`: the file was sound but the runtime would not apply it. */
export type CacheBootStatus = 'not-loaded' | 'missing' | 'loaded' | 'corrupt' | 'refused';

/** What the runtime knows of the file on disk now. */
export type CacheFileStatus = 'unknown' | 'missing' | 'ok' | 'corrupt' | 'write-failed' | 'write-pending';

/** The JSON shape reported under `cache` in the runtime's `/config`. */
export interface ConfigCacheReport {
  dir: string;
  file: string;
  status: CacheFileStatus;
  /** Why the file is corrupt, why the last write failed, or which write is still running. */
  reason: string | null;
  code: string | null;
  /** The snapshot the valid file holds (loaded at boot or written since), as far as this runtime knows. */
  version: number | null;
  epoch: number | null;
  hash: string | null;
  savedAt: string | null;
  controllerId: string | null;
  boot: { status: CacheBootStatus; reason: string | null; savedAt: string | null };
  writes: number;
  writeFailures: number;
  /** The append log on top of the base file, as far as this runtime knows (null: not known). */
  log: { records: number; bytes: number; baseBytes: number } | null;
  /** Writes that rewrote the base file (the first one, and each compaction). */
  compactions: number;
}

export interface ConfigCacheOptions extends LoadOptions {
  dir: string;
  logger?: Logger;
  /**
   * How long `save` waits for the disk (default 5000 ms). A stuck disk must not hold the
   * ACK, and with it every newer config, forever: after this the write goes on in the
   * background and `save` returns `pending`.
   */
  writeWaitMs?: number;
  /** The writer; tests replace it to simulate a slow or stuck disk. */
  write?: typeof writeSnapshot;
  /** Compact once the log would hold more records than this (default 1000); it is also compacted once larger than the base. */
  maxLogRecords?: number;
  /** Called after each write of a new base file (the first write, each compaction), whichever save made it. */
  onBaseWritten?: () => void;
}

export type SaveOutcome = 'saved' | 'unchanged' | 'failed' | 'pending';

interface Held {
  version: number;
  epoch: number;
  hash: string;
  savedAt: Date;
  controllerId: string;
}

/**
 * The runtime's view of its last-known-good cache: loads it once at boot, writes each
 * applied snapshot in proportion to what changed (an append-log record, or a new base
 * when compaction is due: `writeSnapshot`), and keeps a report for `/config`. Never
 * throws: a bad file or a failed write is logged and reported, never fatal.
 */
export class ConfigCache {
  readonly dir: string;
  readonly file: string;
  readonly #logger: Logger;
  readonly #loadOptions: LoadOptions;
  readonly #writeWaitMs: number;
  readonly #write: typeof writeSnapshot;
  readonly #maxLogRecords: number | undefined;
  #held: Held | undefined;
  /** What the directory holds, known only between writes of this process (undefined: write a base next). */
  #disk: DiskState | undefined;
  /** Writes run one after another, each from the disk state the previous one left. */
  #chain: Promise<unknown> = Promise.resolve();
  #compactions = 0;
  readonly #onBaseWritten: (() => void) | undefined;
  #status: CacheFileStatus = 'unknown';
  #problem: { code: string; reason: string } | undefined;
  #boot: ConfigCacheReport['boot'] = { status: 'not-loaded', reason: null, savedAt: null };
  #writes = 0;
  #writeFailures = 0;

  constructor(options: ConfigCacheOptions) {
    this.dir = path.resolve(options.dir);
    this.file = path.join(this.dir, CACHE_FILE_NAME);
    this.#logger = options.logger ?? silentLogger;
    this.#loadOptions = options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes };
    this.#writeWaitMs = options.writeWaitMs ?? 5_000;
    this.#write = options.write ?? writeSnapshot;
    this.#maxLogRecords = options.maxLogRecords;
    this.#onBaseWritten = options.onBaseWritten;
  }

  /** Reads the file; the caller decides whether to apply what it holds (and calls `refused` if not). */
  async load(): Promise<LoadedSnapshot> {
    await tightenCachePermissions(this.dir, this.#logger);
    const loaded = await loadSnapshot(this.dir, this.#loadOptions);
    switch (loaded.status) {
      case 'missing':
        this.#status = 'missing';
        this.#boot = { status: 'missing', reason: null, savedAt: null };
        this.#logger.info({ file: loaded.path }, 'config cache: no file yet; waiting for a controller');
        break;
      case 'corrupt':
        this.#status = 'corrupt';
        this.#problem = { code: loaded.code, reason: loaded.reason };
        this.#boot = { status: 'corrupt', reason: loaded.reason, savedAt: null };
        this.#logger.error({ file: loaded.path, code: loaded.code, reason: loaded.reason }, 'config cache: file refused; not ready until a controller delivers a config');
        break;
      case 'ok': {
        const { version, epoch, hash } = loaded.snapshot;
        this.#status = 'ok';
        this.#held = { version, epoch, hash, savedAt: loaded.savedAt, controllerId: loaded.controllerId };
        this.#disk = loaded.disk;
        this.#boot = { status: 'loaded', reason: null, savedAt: loaded.savedAt.toISOString() };
        const log = loaded.log;
        this.#logger.info({ file: loaded.path, version, hash, savedAt: loaded.savedAt.toISOString(), controllerId: loaded.controllerId, logRecords: log.records }, 'config cache: file loaded');
        if (log.tornBytes > 0) this.#logger.warn({ file: loaded.path, tornBytes: log.tornBytes, records: log.records }, 'config cache: ignored a torn last log record (a write cut short); the next write compacts');
        if (log.stale) this.#logger.warn({ file: loaded.path }, 'config cache: ignored a log left from an older base; the next write compacts');
        break;
      }
    }
    return loaded;
  }

  /** The loaded file was sound but the runtime refused its snapshot (e.g. over RUNTIME_MAX_APIS). */
  refused(reason: string): void {
    this.#boot = { ...this.#boot, status: 'refused', reason };
    this.#logger.error({ file: this.file, reason }, 'config cache: snapshot refused; not ready until a controller delivers a config');
  }

  /**
   * Writes the snapshot unless the file already holds this version, epoch and hash
   * (re-announcements and failovers cost no disk write). A failure is logged and
   * reported; the next call tries again. Writes land in call order (see saveSnapshot),
   * so the last one to finish is the newest.
   */
  async save(snapshot: ConfigSnapshot, meta: { controllerId: string }): Promise<SaveOutcome> {
    const held = this.#held;
    if (held && this.#status === 'ok' && held.version === snapshot.version && held.epoch === snapshot.epoch && held.hash === snapshot.hash) return 'unchanged';
    let settled = false;
    const run = this.#chain.then(async () => {
      const disk = this.#disk;
      // Unknown while the write runs: if it fails, the next write is a base.
      this.#disk = undefined;
      const saved = await this.#write(this.dir, snapshot, meta, { logger: this.#logger, disk, ...(this.#maxLogRecords === undefined ? {} : { maxLogRecords: this.#maxLogRecords }) });
      // Set before the next queued write starts from it.
      this.#disk = saved.disk;
      return saved;
    });
    this.#chain = run.catch(() => undefined);
    const attempt = run.then(
      (saved) => {
        settled = true;
        this.#held = { version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, savedAt: saved.savedAt, controllerId: meta.controllerId };
        this.#status = 'ok';
        this.#problem = undefined;
        this.#writes++;
        this.#logger.debug({ file: saved.path, version: snapshot.version, bytes: saved.bytes, kind: saved.kind }, 'config cache: snapshot saved');
        if (saved.kind === 'base') {
          this.#compactions++;
          this.#onBaseWritten?.();
        }
        return 'saved' as const;
      },
      (err: unknown) => {
        settled = true;
        const code = (err as { code?: unknown }).code;
        this.#status = 'write-failed';
        // The failure may have come after the rename (directory fsync) or mid-append: what the disk holds is unknown.
        this.#held = undefined;
        this.#disk = undefined;
        this.#problem = { code: typeof code === 'string' ? code : 'GW_CONFIG_CACHE_WRITE_FAILED', reason: err instanceof Error ? err.message : String(err) };
        this.#writeFailures++;
        this.#logger.error({ file: this.file, version: snapshot.version, err }, 'config cache: write failed; the snapshot stays applied');
        return 'failed' as const;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'pending'>((resolve) => {
      timer = setTimeout(() => resolve('pending'), this.#writeWaitMs);
    });
    const first = await Promise.race([attempt, waited]);
    clearTimeout(timer);
    // The write may have finished in the same turn the timer fired: then it counts.
    const outcome = first === 'pending' && settled ? await attempt : first;
    if (outcome === 'pending') {
      this.#status = 'write-pending';
      this.#held = undefined;
      this.#problem = { code: 'GW_CONFIG_CACHE_WRITE_FAILED', reason: `the write of version ${snapshot.version} is still running after ${this.#writeWaitMs} ms` };
      this.#logger.warn({ file: this.file, version: snapshot.version, waitedMs: this.#writeWaitMs }, 'config cache: write still running; not holding the ACK any longer');
    }
    return outcome;
  }

  report(): ConfigCacheReport {
    const held = this.#status === 'ok' ? this.#held : undefined;
    return {
      dir: this.dir,
      file: this.file,
      status: this.#status,
      reason: this.#problem?.reason ?? null,
      code: this.#problem?.code ?? null,
      version: held?.version ?? null,
      epoch: held?.epoch ?? null,
      hash: held?.hash ?? null,
      savedAt: held?.savedAt.toISOString() ?? null,
      controllerId: held?.controllerId ?? null,
      boot: { ...this.#boot },
      writes: this.#writes,
      writeFailures: this.#writeFailures,
      log: this.#disk === undefined ? null : { records: this.#disk.records, bytes: this.#disk.logBytes, baseBytes: this.#disk.baseBytes },
      compactions: this.#compactions,
    };
  }
}
