import { randomBytes } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { watchSend } from '../edge/client-timeouts.js';

/** Upstream bytes waiting for the disk before the upstream is paused (the spill's only memory besides one read). */
export const SPILL_WRITE_QUEUE_BYTES = 64 * 1024;
/**
 * What one read from the file hands to the client connection, the only one it holds: the
 * next is read once the kernel has taken it, so a stalled client pins one read whatever
 * the connection's high-water mark (64 KiB since Node 22: writing until `write()` said
 * stop held four reads per slow reader, ~50 MB outside the budget at 1,024 spilled
 * responses, docs/slow-clients.md).
 */
export const SPILL_READ_BYTES = 16 * 1024;
/** What a spill holds in memory at most besides what its connection queued: charged in the memory budget. */
export const SPILL_MEMORY_BYTES = SPILL_WRITE_QUEUE_BYTES + SPILL_READ_BYTES;

/** What a spill tells the response relay about its upstream. */
export interface SpillHooks {
  /** The disk has caught up with a paused upstream: read it again. */
  resumeUpstream(): void;
  /** The file could not be opened: the queued chunks went to the client; the relay streams as without a spill. */
  openFailed(err: unknown): void;
  /** The upstream is done and all of it is in the file: the disk queue holds nothing any more (once). */
  writesDone(): void;
}

/**
 * A response kept on disk for a client slower than its upstream (nginx's
 * `proxy_temp_path`/`proxy_max_temp_file_size`), when the memory budget holds no more:
 * the upstream's chunks are appended to a temporary file at the disk's pace, so the
 * upstream finishes (and its connection and breaker slot are given back) whatever the
 * client does, and the client is served from the file as fast as it reads, still watched
 * by `CLIENT_SEND_TIMEOUT_MS`. The file is created 0600 and unlinked as soon as it is open,
 * so nothing is left behind when the process dies; its descriptor is closed when the
 * response closes (sent, failed, or the client left).
 */
export class ResponseSpill {
  private handle: FileHandle | undefined;
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  /** Bytes in the file (writes complete), and bytes handed to the client from it. */
  private written = 0;
  private sent = 0;
  private upstreamEnded = false;
  private writesDone = false;
  private upstreamPaused = false;
  private pumping = false;
  private awaitingDrain = false;
  /** The last read handed to the client is not written to the kernel yet. */
  private awaitingWrite = false;
  private closed = false;
  /** The client took what the connection buffered: hand it more (one listener per spill, not one closure per wait). */
  private readonly onDrain = (): void => {
    this.awaitingDrain = false;
    void this.pump();
  };
  /** The kernel took the last read (or the connection failed): read the next one. */
  private readonly onWritten = (err?: Error | null): void => {
    this.awaitingWrite = false;
    // A failed write: the connection is going, its 'close' ends the spill.
    if (err == null) void this.pump();
  };

  constructor(
    private readonly res: ServerResponse,
    dir: string,
    private readonly sendTimeoutMs: number,
    private readonly hooks: SpillHooks,
  ) {
    res.once('close', () => this.close());
    void this.openFile(dir);
  }

  /** Appends an upstream chunk; false when the upstream should pause (the disk lags). */
  append(chunk: Buffer): boolean {
    this.queue.push(chunk);
    this.queued += chunk.length;
    void this.flush();
    if (this.queued < SPILL_WRITE_QUEUE_BYTES) return true;
    this.upstreamPaused = true;
    return false;
  }

  /** The upstream's body is complete: the response ends once the client has taken the file. */
  end(): void {
    this.upstreamEnded = true;
    this.noteWritesDone();
    void this.pump();
  }

  private noteWritesDone(): void {
    if (this.writesDone || !this.upstreamEnded || this.writing || this.queued > 0 || this.handle === undefined || this.closed) return;
    this.writesDone = true;
    this.hooks.writesDone();
  }

  private async openFile(dir: string): Promise<void> {
    const path = join(dir, `gw-response-${process.pid}-${randomBytes(8).toString('hex')}`);
    let handle: FileHandle;
    try {
      // `wx`: never an existing file (or a link planted in a shared directory).
      handle = await open(path, 'wx+', 0o600);
    } catch (err) {
      return this.fallBack(err);
    }
    // Unlinked at once: the descriptor keeps the data, nothing outlives the process.
    await unlink(path).catch(() => undefined);
    if (this.closed) {
      await handle.close().catch(() => undefined);
      return;
    }
    this.handle = handle;
    this.noteWritesDone();
    void this.flush();
  }

  private fallBack(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    const res = this.res;
    for (const chunk of this.queue) res.write(chunk);
    this.queue = [];
    this.queued = 0;
    this.hooks.openFailed(err);
  }

  /** One write at a time, of everything queued, at the end of the file. */
  private async flush(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined || this.writing || this.closed || this.queue.length === 0) return;
    this.writing = true;
    const chunks = this.queue;
    const bytes = this.queued;
    this.queue = [];
    this.queued = 0;
    try {
      await handle.writev(chunks, this.written);
    } catch {
      // The disk refused (full, I/O error): the response cannot be completed.
      this.writing = false;
      this.res.destroy();
      return;
    }
    this.writing = false;
    if (this.closed) return;
    this.written += bytes;
    this.noteWritesDone();
    if (this.upstreamPaused && this.queued < SPILL_WRITE_QUEUE_BYTES) {
      this.upstreamPaused = false;
      this.hooks.resumeUpstream();
    }
    void this.flush();
    void this.pump();
  }

  /**
   * Hands the file to the client as fast as it takes it, one read at a time (`SPILL_READ_BYTES`,
   * the next once the kernel has taken it: `onWritten`); ends the response after the last byte.
   */
  private async pump(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined || this.pumping || this.awaitingDrain || this.awaitingWrite || this.closed) return;
    const res = this.res;
    if (res.writableNeedDrain) {
      // The connection still holds what was queued before the spill began: read nothing
      // from the file until the client has taken it, so a stalled client pins no read too.
      this.waitForDrain();
      return;
    }
    const available = this.written - this.sent;
    if (available === 0) {
      if (this.upstreamEnded && this.queued === 0 && !this.writing) this.finish();
      return;
    }
    this.pumping = true;
    try {
      const buf = Buffer.allocUnsafe(Math.min(available, SPILL_READ_BYTES));
      const { bytesRead } = await handle.read(buf, 0, buf.length, this.sent);
      if (this.closed) return;
      if (bytesRead === 0) throw new Error('response spill file shorter than written');
      this.sent += bytesRead;
      this.awaitingWrite = true;
      // Its callback is never synchronous; meanwhile the client must take it in time.
      res.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), this.onWritten);
      watchSend(res, this.sendTimeoutMs);
    } catch {
      res.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private waitForDrain(): void {
    this.awaitingDrain = true;
    this.res.once('drain', this.onDrain);
    watchSend(this.res, this.sendTimeoutMs);
  }

  private finish(): void {
    this.closed = true;
    const res = this.res;
    res.end();
    // What the client has not taken yet is in its connection's buffer: it must take it in time.
    if (!res.writableFinished) watchSend(res, this.sendTimeoutMs);
    this.release();
  }

  private close(): void {
    this.closed = true;
    this.release();
  }

  private release(): void {
    const handle = this.handle;
    this.handle = undefined;
    this.queue = [];
    this.queued = 0;
    // FileHandle.close waits for a read or write in flight.
    if (handle !== undefined) void handle.close().catch(() => undefined);
  }
}
