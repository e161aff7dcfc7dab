import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { REQUEST_RESERVE_SHARE } from './buffer-settings.js';

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
  /** What the response side may hold before request bodies stop giving way to it. */
  readonly responseSideBytes: number;

  private readonly held = Symbol('gw.bufferHeld');
  private readonly heldResponse = Symbol('gw.bufferHeldResponse');
  private readonly heldConnection = Symbol('gw.bufferHeldConnection');
  /** One 'close' listener for every response this budget holds ('close' comes once: no `once` wrapper, no closure per response). */
  private readonly onClose = BufferBudget.closeListener(this);
  /** The same for every charged client connection. */
  private readonly onConnectionClose = BufferBudget.connectionCloseListener(this);

  constructor(
    readonly limitBytes: number,
    /** What `chargeConnection` charges each open client connection (CONNECTION_MEMORY_BYTES). */
    readonly connectionBytes = 0,
  ) {
    this.responseSideBytes = Math.floor(limitBytes * (1 - REQUEST_RESERVE_SHARE));
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
    h[this.heldResponse] = (h[this.heldResponse] ?? 0) - held;
    this.used -= held;
    this.responseUsed -= held;
  }

  private hold(res: ServerResponse, bytes: number, response: boolean): void {
    const h = res as unknown as Holder;
    if (h[this.held] === undefined && h[this.heldResponse] === undefined) res.on('close', this.onClose);
    this.used += bytes;
    if (response) {
      this.responseUsed += bytes;
      h[this.heldResponse] = (h[this.heldResponse] ?? 0) + bytes;
    } else {
      h[this.held] = (h[this.held] ?? 0) + bytes;
    }
  }

  private releaseAll(res: ServerResponse): void {
    const h = res as unknown as Holder;
    const request = h[this.held] ?? 0;
    const response = h[this.heldResponse] ?? 0;
    this.used -= request + response;
    this.responseUsed -= response;
    h[this.held] = 0;
    h[this.heldResponse] = 0;
  }
}
