/** Milliseconds on a monotonic scale; only differences mean anything. Injected so tests control time. */
export interface Clock {
  now(): number;
}

/** `performance.now()`: monotonic, so a wall-clock step never ejects or restores a target early. */
export const systemClock: Clock = Object.freeze({ now: () => performance.now() });

/** A number in [0, 1), like `Math.random`; injected so tests get a fixed sequence. */
export type Random = () => number;

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
