import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@gw/logging';
import { REQUEST_RESERVE_SHARE, SHED_RESPONSE_SHARE } from './buffer-settings.js';

/** Cutting lagging responses while the response side is past `SHED_RESPONSE_SHARE` (`shedLagging`). */
export interface ShedSettings {
  /** How long a client must have lagged before its response may be cut (`BUFFER_SHED_MIN_LAG_MS`, SHED_MIN_LAG_MS). */
  readonly minLagMs: number;
  /** Where the cuts are logged, one line per interval at most. */
  readonly logger: Logger;
}
/** How often lagging responses are looked at while the response side is past `shedAtBytes`. */
const SHED_CHECK_MS = 100;
/** At most one log line per this, with the counts since the last. */
const SHED_LOG_MS = 1_000;

/** What a reservation buffers: a small request body, an idempotent request's body, or a response a slow client has not taken yet. */
export type BufferKind = 'request' | 'idempotency' | 'response';

/** What a response holds of one budget, stored on the response under that budget's own keys (two budgets, memory and disk, can hold one response). */
type Holder = Record<symbol, number | undefined>;

/**
 * `BUFFER_MEMORY_BYTES`: the one bound on the memory the runtime spends buffering bodies
 * for clients — request bodies read before a target is picked, idempotent requests' bodies,
 * and responses kept for clients slower than their upstream. Each reservation belongs to a
 * client response and is given back when that response closes, whatever happened to it,
 * so nothing can leak past the request. A reservation that would pass the limit is refused
 * (and counted): the caller answers 503 or streams without buffering.
 *
 * Two sides share it. The response side (responses kept for slow clients, and the charges
 * of lagging connections) may hold at most `1 - REQUEST_RESERVE_SHARE` of the limit as far
 * as request bodies are concerned: request and idempotency bodies always find that share,
 * however many slow readers hold the rest (docs/slow-clients.md).
 *
 * With `shedding` (the memory budget of a proxy handler), the response side is also held to
 * `SHED_RESPONSE_SHARE` of the limit (Envoy's overload action `reset_high_memory_stream`):
 * charges cannot be refused, since the memory is spent before they are known, so while the
 * response side is past it the responses whose clients have taken nothing for `shedding.minLagMs` are cut,
 * those holding the most first, until what they hold brings it back (`shedLagging`).
 * Without it 2,000 slow readers held ~355 MB counted against a 256 MiB budget, and RSS
 * passed budget + baseline by ~150 MB (docs/slow-clients.md).
 */
export class BufferBudget {
  /** Bytes reserved or charged now, both sides. */
  used = 0;
  /** Of which the response side: responses kept for slow clients, lagging connections' charges and open connections' charges. */
  responseUsed = 0;
  /** Of which what open client connections are charged (`chargeConnection`). */
  connectionUsed = 0;
  /** Refused reservations since start, by kind. */
  readonly refused: Record<BufferKind, number> = { request: 0, idempotency: 0, response: 0 };
  /** What the response side may hold before request bodies stop giving way to it (`1 - REQUEST_RESERVE_SHARE` of the limit). */
  readonly responseSideBytes: number;
  /** What cutting lagging responses holds the response side to (`SHED_RESPONSE_SHARE` of the limit). */
  readonly shedAtBytes: number;
  /** Responses cut since start to bring the response side back to `shedAtBytes`, and what they held (bytes). */
  shed = 0;
  shedBytes = 0;

  private readonly held = Symbol('gw.bufferHeld');
  private readonly heldResponse = Symbol('gw.bufferHeldResponse');
  private readonly heldConnection = Symbol('gw.bufferHeldConnection');
  /** One 'close' listener for every response this budget holds ('close' comes once: no `once` wrapper, no closure per response). */
  private readonly onClose = BufferBudget.closeListener(this);
  /** The same for every charged client connection. */
  private readonly onConnectionClose = BufferBudget.connectionCloseListener(this);
  /**
   * Responses holding response-side bytes now, with when their client last took something
   * (performance.now()) and how much it had taken then (`takenBy`); only when shedding.
   */
  private readonly holders: Map<ServerResponse, { since: number; taken: number }> | undefined;
  private shedTimer: NodeJS.Timeout | undefined;
  private shedLogTimer: NodeJS.Timeout | undefined;
  private shedLogged = 0;
  /** When `shedLagging` last looked (performance.now()). */
  private lastShedLook = -Infinity;
  private shedBytesLogged = 0;

  constructor(
    readonly limitBytes: number,
    /** What `chargeConnection` charges each open client connection (CONNECTION_MEMORY_BYTES). */
    readonly connectionBytes = 0,
    /** Given (and its lag above 0): lagging responses are cut while the response side is past `shedAtBytes` (`shedLagging`). */
    private readonly shedding?: ShedSettings,
  ) {
    this.responseSideBytes = Math.floor(limitBytes * (1 - REQUEST_RESERVE_SHARE));
    this.shedAtBytes = Math.floor(limitBytes * SHED_RESPONSE_SHARE);
    if (shedding !== undefined && shedding.minLagMs > 0) this.holders = new Map();
  }

  private static closeListener(budget: BufferBudget): (this: ServerResponse) => void {
    return function (this: ServerResponse): void {
      budget.releaseAll(this);
    };
  }

  private static connectionCloseListener(budget: BufferBudget): (this: Socket) => void {
    return function (this: Socket): void {
      const h = this as unknown as Holder;
      const bytes = h[budget.heldConnection] ?? 0;
      h[budget.heldConnection] = 0;
      budget.used -= bytes;
      budget.responseUsed -= bytes;
      budget.connectionUsed -= bytes;
    };
  }

  /**
   * Reserves `bytes` until `res` closes; false (counted) when the budget cannot hold them,
   * or when they would take it past `ceiling` (a share of the limit for one kind). A
   * request or idempotency body sees the response side as holding at most its share, so
   * slow readers cannot take `REQUEST_RESERVE_SHARE` from it.
   */
  reserve(res: ServerResponse, bytes: number, kind: BufferKind, ceiling = this.limitBytes): boolean {
    const response = kind === 'response';
    const used = response ? this.used : this.used - this.responseUsed + Math.min(this.responseUsed, this.responseSideBytes);
    if (used + bytes > Math.min(ceiling, this.limitBytes) || res.destroyed) {
      this.refused[kind]++;
      return false;
    }
    this.hold(res, bytes, response);
    return true;
  }

  /**
   * Counts `bytes` that are spent already, whether or not they fit (what a lagging
   * connection holds outside any reservation), on the response side until `res` closes or
   * `discharge` gives them back: the budget may pass its limit by them, and then refuses
   * every response reservation until they are given back.
   */
  charge(res: ServerResponse, bytes: number): void {
    if (res.destroyed || bytes <= 0) return;
    this.hold(res, bytes, true);
  }

  /**
   * Charges `connectionBytes` for an open client connection until its socket closes (what
   * the connection itself costs: CONNECTION_MEMORY_BYTES), on the response side like a lagging
   * connection's charge: never refused, and request bodies keep their share whatever
   * connections hold. So as connections add up, response buffering gives way to the disk
   * and to backpressure before the memory they cost comes on top of a full budget.
   */
  chargeConnection(socket: Socket): void {
    const bytes = this.connectionBytes;
    const h = socket as unknown as Holder;
    if (socket.destroyed || bytes <= 0 || h[this.heldConnection] !== undefined) return;
    h[this.heldConnection] = bytes;
    this.used += bytes;
    this.responseUsed += bytes;
    this.connectionUsed += bytes;
    socket.on('close', this.onConnectionClose);
  }

  /** Gives back up to `bytes` of what `res` was charged (its connection holds less now). */
  discharge(res: ServerResponse, bytes: number): void {
    const h = res as unknown as Holder;
    const held = Math.min(bytes, h[this.heldResponse] ?? 0);
    if (held <= 0) return;
    const left = (h[this.heldResponse] ?? 0) - held;
    h[this.heldResponse] = left;
    this.used -= held;
    this.responseUsed -= held;
    // Its client took what was queued: the lag starts over at its next charge.
    if (left === 0) this.holders?.delete(res);
  }

  private hold(res: ServerResponse, bytes: number, response: boolean): void {
    const h = res as unknown as Holder;
    if (h[this.held] === undefined && h[this.heldResponse] === undefined) res.on('close', this.onClose);
    this.used += bytes;
    if (response) {
      this.responseUsed += bytes;
      h[this.heldResponse] = (h[this.heldResponse] ?? 0) + bytes;
      const holders = this.holders;
      if (holders === undefined) return;
      if (!holders.has(res)) holders.set(res, { since: performance.now(), taken: takenBy(res) });
      if (this.responseUsed > this.shedAtBytes && this.shedTimer === undefined) this.armShed(0);
    } else {
      h[this.held] = (h[this.held] ?? 0) + bytes;
    }
  }

  private armShed(delayMs: number): void {
    this.shedTimer = setTimeout(() => this.shedLagging(), delayMs);
    this.shedTimer.unref();
  }

  /**
   * While the response side is past `shedAtBytes`, cuts the responses whose clients have taken
   * nothing (`takenBy`) for `shedding.minLagMs`, those holding the most first (a response
   * kept in memory for a slow client before any other), until what they hold brings it
   * back; their 'close' gives it back. Looks again every `SHED_CHECK_MS` while it is still
   * past (younger laggards, or closes still to come). Returns how many were cut.
   */
  private shedLagging(): number {
    this.shedTimer = undefined;
    const holders = this.holders;
    let excess = this.responseUsed - this.shedAtBytes;
    if (holders === undefined || this.shedding === undefined || excess <= 0) return 0;
    const minLagMs = this.shedding.minLagMs;
    const now = performance.now();
    // Not looking already (the side has just passed its share): what each client took before
    // now is not known, so every lag starts now and nothing is cut before `minLagMs` from here.
    const fresh = now - this.lastShedLook > 2 * SHED_CHECK_MS;
    this.lastShedLook = now;
    const candidates: [ServerResponse, number][] = [];
    for (const [res, lag] of holders) {
      const bytes = (res as unknown as Holder)[this.heldResponse] ?? 0;
      // Cut already, its 'close' not come yet: what it holds is as good as given back.
      if (res.destroyed) {
        excess -= bytes;
        continue;
      }
      // A client that took something since the last look is reading (slowly, maybe): its lag starts over.
      const taken = takenBy(res);
      if (fresh || taken !== lag.taken) {
        lag.taken = taken;
        lag.since = now;
      } else if (now - lag.since >= minLagMs && res.writableLength > 0) candidates.push([res, bytes]);
    }
    candidates.sort((a, b) => b[1] - a[1]);
    let cut = 0;
    let cutBytes = 0;
    for (const [res, bytes] of candidates) {
      if (excess <= 0) break;
      excess -= bytes;
      cut++;
      cutBytes += bytes;
      res.destroy();
    }
    if (excess > 0) this.armShed(SHED_CHECK_MS);
    if (cut > 0) this.noteShed(cut, cutBytes);
    return cut;
  }

  /** One warn line per `SHED_LOG_MS` at most, with what was cut since the last. */
  private noteShed(cut: number, bytes: number): void {
    this.shed += cut;
    this.shedBytes += bytes;
    if (this.shedLogTimer !== undefined) return;
    this.shedLogTimer = setTimeout(() => {
      this.shedLogTimer = undefined;
      this.shedding?.logger.warn(
        {
          cut: this.shed - this.shedLogged,
          cutBytes: this.shedBytes - this.shedBytesLogged,
          responseBytes: this.responseUsed,
          shedAtBytes: this.shedAtBytes,
          intervalMs: SHED_LOG_MS,
        },
        'buffer memory: lagging responses cut',
      );
      this.shedLogged = this.shed;
      this.shedBytesLogged = this.shedBytes;
    }, SHED_LOG_MS);
    this.shedLogTimer.unref();
  }

  private releaseAll(res: ServerResponse): void {
    const h = res as unknown as Holder;
    const request = h[this.held] ?? 0;
    const response = h[this.heldResponse] ?? 0;
    this.used -= request + response;
    this.responseUsed -= response;
    h[this.held] = 0;
    h[this.heldResponse] = 0;
    this.holders?.delete(res);
  }
}

/**
 * The bytes the kernel has taken from `res`'s connection (its writes that completed): it
 * grows only as the client reads, whatever the gateway queues, so a client that reads
 * slowly but steadily is never seen as lagging.
 */
function takenBy(res: ServerResponse): number {
  // bytesWritten counts what was handed to the socket, queued or not; writableLength what is not written yet.
  const written = res.socket?.bytesWritten;
  return written === undefined ? 0 : written - res.socket!.writableLength;
}
