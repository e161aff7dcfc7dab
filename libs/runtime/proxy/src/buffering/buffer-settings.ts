import { tmpdir } from 'node:os';

/**
 * What one open client connection costs outside any Buffer, charged in
 * `BUFFER_MEMORY_BYTES` (response side) from its accept until it closes: its socket,
 * parser, request and response objects, and for a request in flight its upstream socket
 * and undici's request state. Measured under a slow-read attack (docs/slow-clients.md,
 * *What the Buffers are*): at 1,907 slow readers, native memory (RSS less the V8 heap
 * committed and the Buffers) was 130 MB against 76 MB at the baseline, and the V8 heap in
 * use 84 MB against ~50 MB: (54 + 34) MB / 1,907 ≈ 46 KB a connection, rounded up. Without
 * it, 2,000 slow readers' own cost (~90 MB) came on top of a budget that buffering had
 * filled already.
 */
export const CONNECTION_MEMORY_BYTES = 48 * 1024;

/**
 * The high-water mark of client connections (their sockets, requests and responses):
 * what a connection queues before `write()` says stop, on top of a write in flight. Node's
 * default became 64 KiB in Node 22 (16 KiB before): each client that stops reading then
 * queued up to one more 64 KiB upstream chunk behind the one in flight, ~26 MB at 2,000
 * slow readers outside the budget (docs/slow-clients.md). A response's chunks are written
 * whole either way: this only decides when the relay hears that its client lags.
 */
export const CLIENT_HIGH_WATER_MARK_BYTES = 16 * 1024;

/**
 * How long a response must have held response-side memory, its client not having taken
 * what is queued, before it may be cut while the response side of `BUFFER_MEMORY_BYTES`
 * is past its share (buffer-budget.ts, `shedLagging`): a client that merely pauses (a full
 * socket buffer between two reads of a large download) drains well within it.
 */
export const SHED_MIN_LAG_MS = 500;

/** Buffering for slow clients (environment variables of the runtime; docs/slow-clients.md). */
export interface BufferSettings {
  /** `BUFFER_MEMORY_BYTES`: all buffered bodies together (requests, idempotent requests, responses). */
  readonly memoryBytes: number;
  /** `REQUEST_BUFFER_BYTES`: request bodies with a `Content-Length` up to this are read whole before a target is picked. 0 = off. */
  readonly requestBytes: number;
  /** `RESPONSE_BUFFER_BYTES`: how much of a response is kept for a client slower than its upstream before the upstream is paused. 0 = off. */
  readonly responseBytes: number;
  /** `BUFFER_DISK_BYTES`: responses kept in temporary files for slow clients, all together, once memory is spent. 0 = off. */
  readonly diskBytes: number;
  /** `RESPONSE_DISK_BYTES`: the largest response (by Content-Length) that may go to a temporary file. */
  readonly responseDiskBytes: number;
  /** `BUFFER_DIR`: where those files are created (and unlinked at once). */
  readonly dir: string;
  /**
   * `BUFFER_CONNECTION_BYTES`: what each open client connection is charged in
   * `memoryBytes`, from accept to close (CONNECTION_MEMORY_BYTES, measured). 0: not charged.
   */
  readonly connectionBytes: number;
  /**
   * `BUFFER_SHED_MIN_LAG_MS`: while the response side is past its share, responses whose
   * clients have lagged this long are cut, those holding the most first (SHED_MIN_LAG_MS).
   * 0: never cut.
   */
  readonly shedMinLagMs: number;
}

export const DEFAULT_BUFFER_SETTINGS: BufferSettings = Object.freeze({
  memoryBytes: 256 * 1024 * 1024,
  requestBytes: 1024 * 1024,
  responseBytes: 1024 * 1024,
  diskBytes: 1024 * 1024 * 1024,
  responseDiskBytes: 64 * 1024 * 1024,
  dir: tmpdir(),
  connectionBytes: CONNECTION_MEMORY_BYTES,
  shedMinLagMs: SHED_MIN_LAG_MS,
});

/**
 * How much of `BUFFER_MEMORY_BYTES` response buffering may fill: a response is kept in
 * memory for a slow client only while the budget is less than half used. Response
 * buffering is an optimization (the disk and backpressure take over), unlike request and
 * idempotency bodies and the charges of lagging connections, which must fit: under a
 * slow-read attack the first slow readers' 1 MiB reservations used to fill the whole
 * budget and the later ones' charges came on top (RSS hundreds of MB past the budget;
 * docs/slow-clients.md).
 */
export const RESPONSE_BUFFER_SHARE = 0.5;

/**
 * The share of `BUFFER_MEMORY_BYTES` that request and idempotency bodies keep whatever the
 * response side holds: responses kept for slow clients (at most `RESPONSE_BUFFER_SHARE`)
 * and the charges of lagging connections count against the rest only. Lagging
 * connections' memory is spent before it can be refused, so under a slow-read attack it
 * used to fill the whole budget and every idempotent upload got 503
 * (docs/slow-clients.md); with this share a quarter of the budget (64 MiB by default)
 * stays for them.
 */
export const REQUEST_RESERVE_SHARE = 0.25;

/**
 * Where cutting lagging responses (buffer-budget.ts, `shedLagging`) holds the response
 * side of `BUFFER_MEMORY_BYTES`: below `1 - REQUEST_RESERVE_SHARE`, where request bodies
 * see it. The 15 % between is for what the process holds beyond what the budget counts
 * while lagging responses are cut and replaced at an attack's pace: the Buffers they freed,
 * kept by the allocator (glibc's `malloc_trim` gave 48–60 MB back at the height of a
 * 2,000-reader slow-read attack), and the V8 heap they grew. Cutting at 75 %, the attack's
 * peak RSS was 363–409 MiB against budget + baseline = 369 MiB; at 60 %, 304–366 MiB
 * (docs/slow-clients.md, *Spilled responses hand one read at a time*).
 */
export const SHED_RESPONSE_SHARE = 0.6;
