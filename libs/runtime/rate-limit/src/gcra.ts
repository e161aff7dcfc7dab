/**
 * The generic cell rate algorithm (GCRA), as a pure step function. The only state per
 * key is the theoretical arrival time (TAT): when the schedule of accepted requests
 * would next be "caught up". A request costing `cost` moves it by `cost × T`; it is
 * accepted when the new TAT is at most `τ` ahead of now. With τ = burst × T, `burst`
 * requests pass at once after a quiet period and then one every T.
 *
 * Times are integer microseconds, so the Redis script (gcra-script.ts, the same
 * arithmetic in Lua on the server's clock) computes exactly, without float drift.
 */
export interface GcraParams {
  /** T: the time one request costs, in whole microseconds (≥ 1). */
  emissionIntervalUs: number;
  /** τ = burst × T, in microseconds. */
  toleranceUs: number;
}

export interface GcraResult {
  allowed: boolean;
  /** The TAT to store (µs; unchanged when denied). */
  tat: number;
  /** Requests of cost 1 that would still pass right now. */
  remaining: number;
  /** 0 when allowed; else how long until this request would pass (µs). */
  retryAfterUs: number;
  /** How long until the bucket is full again, when the key's state can be dropped (µs). */
  resetUs: number;
}

// Only the local clock (performance.now() in µs) has a fraction; this absorbs its float error.
const EPSILON_US = 1e-3;

export function gcraStep(storedTat: number | undefined, nowUs: number, params: GcraParams, cost = 1): GcraResult {
  const { emissionIntervalUs: T, toleranceUs: tau } = params;
  // How far the schedule already runs ahead of now, and would after this request.
  const base = storedTat === undefined || storedTat < nowUs ? 0 : storedTat - nowUs;
  const ahead = base + T * cost;
  if (ahead > tau + EPSILON_US) {
    return { allowed: false, tat: nowUs + base, remaining: 0, retryAfterUs: ahead - tau, resetUs: base };
  }
  return { allowed: true, tat: nowUs + ahead, remaining: Math.floor((tau - ahead + EPSILON_US) / T), retryAfterUs: 0, resetUs: ahead };
}
