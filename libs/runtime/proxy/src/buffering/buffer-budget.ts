import type { ServerResponse } from 'node:http';

/** What a reservation buffers: a small request body, an idempotent request's body, or a response a slow client has not taken yet. */
export type BufferKind = 'request' | 'idempotency' | 'response';

/** What a response holds of one budget, stored on the response under that budget's own key (two budgets, memory and disk, can hold one response). */
type Holder = Record<symbol, number | undefined>;

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

  private readonly held = Symbol('gw.bufferHeld');
  /** One 'close' listener for every response this budget holds ('close' comes once: no `once` wrapper, no closure per response). */
  private readonly onClose = BufferBudget.closeListener(this);

  constructor(readonly limitBytes: number) {}

  private static closeListener(budget: BufferBudget): (this: ServerResponse) => void {
    return function (this: ServerResponse): void {
      budget.releaseAll(this);
    };
  }

  /**
   * Reserves `bytes` until `res` closes; false (counted) when the budget cannot hold them,
   * or when they would take it past `ceiling` (a share of the limit for one kind).
   */
  reserve(res: ServerResponse, bytes: number, kind: BufferKind, ceiling = this.limitBytes): boolean {
    if (this.used + bytes > Math.min(ceiling, this.limitBytes) || res.destroyed) {
      this.refused[kind]++;
      return false;
    }
    this.used += bytes;
    const h = res as unknown as Holder;
    const held = h[this.held];
    if (held === undefined) res.on('close', this.onClose);
    h[this.held] = (held ?? 0) + bytes;
    return true;
  }

  /**
   * Counts `bytes` that are spent already, whether or not they fit (what a lagging
   * connection holds outside any reservation), until `res` closes: the budget may pass its
   * limit by them, and then refuses every reservation until they are given back.
   */
  charge(res: ServerResponse, bytes: number): void {
    if (res.destroyed) return;
    this.used += bytes;
    const h = res as unknown as Holder;
    const held = h[this.held];
    if (held === undefined) res.on('close', this.onClose);
    h[this.held] = (held ?? 0) + bytes;
  }

  private releaseAll(res: ServerResponse): void {
    const h = res as unknown as Holder;
    this.used -= h[this.held] ?? 0;
    h[this.held] = 0;
  }
}
