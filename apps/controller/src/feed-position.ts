import type { ConfigState } from '@gw/store';

/**
 * The change feed passes on only numbers greater than the last it handled. Following the
 * version alone misses a deliberate restore: after a backup is put back, the version row
 * may be below what this replica already saw, and an epoch bump must still be noticed.
 * So the feed follows (epoch, version) folded into one number, ordered epoch first.
 * Safe while versions stay below 2^32 and epochs below 2^21.
 */
const EPOCH_UNIT = 2 ** 32;

export function feedPosition(state: ConfigState): number {
  return state.epoch * EPOCH_UNIT + state.version;
}

export function fromFeedPosition(position: number): ConfigState {
  return { epoch: Math.floor(position / EPOCH_UNIT), version: position % EPOCH_UNIT };
}
