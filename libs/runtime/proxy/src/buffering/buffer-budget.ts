import type { ServerResponse } from 'node:http';

/** What a reservation buffers: a small request body, an idempotent request's body, or a response a slow client has not taken yet. */
export type BufferKind = 'request' | 'idempotency' | 'response';

const HELD: unique symbol = Symbol('gw.bufferHeld');

interface Holder {
  [HELD]?: number;
}

/**
 * `BUFFER_MEMORY_BYTES`: the one bound on the memory the runtime spends buffering bodies
 * for clients — request bodies read before a target is picked, idempotent requests' bodies,
 * and responses kept for clients slower than their upstream. Each reservation belongs to a
 * client response and is given back when that response closes, whatever happened to it,
 * so nothing can leak past the request. A reservation that would pass the limit is refused
 * (and counted): the caller answers 503 or streams without buffering.
 */
export class BufferBudget {
  /** Bytes reserved now. */
  used = 0;
  /** Refused reservations since start, by kind. */
  readonly refused: Record<BufferKind, number> = { request: 0, idempotency: 0, response: 0 };

  constructor(readonly limitBytes: number) {}

  /** Reserves `bytes` until `res` closes; false (counted) when the budget cannot hold them. */
  reserve(res: ServerResponse, bytes: number, kind: BufferKind): boolean {
    if (this.used + bytes > this.limitBytes || res.destroyed) {
      this.refused[kind]++;
      return false;
    }
    this.used += bytes;
    const h = res as Holder;
    if (h[HELD] === undefined) {
      h[HELD] = 0;
      res.once('close', () => this.releaseAll(res));
    }
    h[HELD] += bytes;
    return true;
  }

  /** Bytes `res` holds now. */
  heldBy(res: ServerResponse): number {
    return (res as Holder)[HELD] ?? 0;
  }

  private releaseAll(res: ServerResponse): void {
    const h = res as Holder;
    this.used -= h[HELD] ?? 0;
    h[HELD] = 0;
  }
}
