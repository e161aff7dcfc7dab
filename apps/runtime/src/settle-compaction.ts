/** Quiet time after the last config apply before the heap's growth is looked at. */
export const SETTLE_AFTER_APPLY_MS = 5_000;
/** Growth of V8's committed heap since the last compaction that is worth a compaction (of what it was then)... */
const SETTLE_GROWTH_SHARE = 0.5;
/** ...and at least this much, so a small config never pays for a pause that gives little back. */
export const SETTLE_GROWTH_MIN_BYTES = 32 * 1024 * 1024;

/**
 * Whether the heap, once config changes have settled, has grown enough since the last
 * compaction to compact it again. Why: every single-API apply at 10,000 APIs makes
 * garbage in proportion to the state (the route table's name index and API list, the
 * state hash's chunks); V8 grows the old generation for it and keeps the pages, and its
 * memory reducer was not seen to run (docs/benchmarks.md, "Runtime memory at 10,000
 * APIs"): 600 writes left a runtime 60-90 MB above its RSS after the bulk apply. The rule
 * compacts once after such a burst, not after every deploy.
 */
export function heapGrewEnough(heapTotalNow: number, heapTotalAfterLastCompaction: number): boolean {
  return heapTotalNow - heapTotalAfterLastCompaction >= Math.max(SETTLE_GROWTH_MIN_BYTES, SETTLE_GROWTH_SHARE * heapTotalAfterLastCompaction);
}
