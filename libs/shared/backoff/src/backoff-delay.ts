/** A number in [0, 1), like `Math.random`; injected so tests get fixed draws. */
export type Random = () => number;

export interface BackoffOptions {
  /** The ceiling of the first delay (attempt 0), in ms; it doubles with every attempt. */
  baseMs: number;
  /** The ceiling never grows past this (ms). */
  capMs: number;
  /**
   * The least delay (ms, default 0). Full jitter may draw 0 ms; a reconnect loop that must
   * not retry at once sets a floor here (clamped to `capMs`), rather than using another formula.
   */
  floorMs?: number;
}

/**
 * `2^1023` is the largest finite power of two: past it `baseMs × 2^attempt` would be
 * `Infinity` (or `NaN` for a 0 base), so the exponent stops there. The ceiling reached
 * `capMs` long before for any sensible base.
 */
const MAX_EXPONENT = 1023;

/** min(capMs, baseMs × 2^attempt): the most the delay before `attempt` (0-based) may be. */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  const { baseMs, capMs } = checked(options);
  // A negative, fractional or NaN attempt counts as the nearest sensible one (0, or rounded down).
  const n = Number.isNaN(attempt) || attempt <= 0 ? 0 : Math.min(Math.floor(attempt), MAX_EXPONENT);
  return Math.min(capMs, baseMs * 2 ** n);
}

/**
 * Capped exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): a whole number of ms drawn uniformly from
 * [0, min(capMs, baseMs × 2^attempt)), raised to `floorMs` if below it. Spreading every
 * retry over the whole window, rather than waiting a fixed or half-fixed time, keeps the
 * clients that failed together from coming back together.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: Random = Math.random): number {
  const ceiling = backoffCeiling(attempt, options);
  const floor = Math.min(options.floorMs ?? 0, options.capMs);
  // min(): a `random` that returns 1 (outside its contract) still stays within the ceiling.
  const jittered = Math.min(ceiling, Math.floor(random() * ceiling));
  return Math.max(floor, jittered);
}

function checked(options: BackoffOptions): BackoffOptions {
  for (const key of ['baseMs', 'capMs', 'floorMs'] as const) {
    const v = options[key];
    if (v === undefined && key === 'floorMs') continue;
    // A programming error, not an operator's: callers validate what they are configured with.
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`backoff ${key} must be a finite number ≥ 0, got ${String(v)}`);
  }
  return options;
}
