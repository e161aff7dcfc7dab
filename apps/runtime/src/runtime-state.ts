import type { ApplyVerdict } from '@gw/config-client';
import { ErrorCodes } from '@gw/errors';
import { buildRouteTable, type RouteTable } from '@gw/routing';
import { verifySnapshot, type Snapshot, type SnapshotContent } from '@gw/config-contract';

export type ConfigSource = 'controller' | 'cache';

export interface AppliedConfig {
  version: number;
  epoch: number;
  hash: string;
  source: ConfigSource;
  appliedAt: Date;
  controllerId: string | undefined;
  /** When the cache file was written; set only while the config comes from the cache. */
  savedAt: Date | undefined;
  apis: number;
}

/** Where a snapshot came from: the controller replica, and for the cache when the file was written. */
export interface ApplyOrigin {
  controllerId?: string;
  savedAt?: Date;
}

/**
 * The runtime's one mutable reference: the routing table in use. A new table is
 * validated and built off to the side, then swapped in one assignment; requests in
 * flight keep the table they started with.
 */
export class RuntimeState {
  #table: RouteTable | undefined;
  #applied: AppliedConfig | undefined;

  constructor(
    private readonly limits: {
      maxApis: number;
      /**
       * Builds what the new table needs besides routes (the policies) before the swap;
       * throwing refuses the snapshot (GW_SNAPSHOT_INVALID with the message) and keeps the old table.
       */
      prepare?: (table: RouteTable, content: SnapshotContent) => void;
    } = { maxApis: Number.POSITIVE_INFINITY },
  ) {}

  /** The hot path reads this once per request. */
  readonly getTable = (): RouteTable | undefined => this.#table;

  get applied(): Readonly<AppliedConfig> | undefined {
    return this.#applied;
  }

  apply(snapshot: Snapshot, source: ConfigSource, from?: ApplyOrigin): ApplyVerdict {
    const current = this.#applied;
    if (current && current.epoch === snapshot.epoch && current.hash === snapshot.hash) {
      // Same content (e.g. after failing over to another replica): nothing to rebuild.
      if (snapshot.version > current.version) this.#applied = { ...current, version: snapshot.version, controllerId: from?.controllerId ?? current.controllerId };
      // A controller confirming what the cache gave us: the table stays, the source changes.
      if (source === 'controller' && current.source === 'cache' && snapshot.version >= current.version) {
        this.#applied = { ...this.#applied!, source, savedAt: undefined, controllerId: from?.controllerId ?? current.controllerId };
      }
      return { ok: true };
    }
    const regression = checkNotOlder(snapshot, current);
    if (regression) return { ok: false, code: ErrorCodes.GW_SNAPSHOT_REGRESSION, message: regression };
    if (snapshot.content.apis.length > this.limits.maxApis) {
      return {
        ok: false,
        code: ErrorCodes.GW_SNAPSHOT_OVER_CAPACITY,
        message: `snapshot ${snapshot.version} holds ${snapshot.content.apis.length} APIs; this runtime accepts at most ${this.limits.maxApis} (RUNTIME_MAX_APIS)`,
      };
    }
    const verdict = verifySnapshot(snapshot);
    if (!verdict.ok) return { ok: false, code: verdict.code, message: verdict.message };
    let table: RouteTable;
    try {
      table = buildRouteTable(snapshot.content);
    } catch (err) {
      return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `routing table: ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      this.limits.prepare?.(table, snapshot.content);
    } catch (err) {
      return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `snapshot ${snapshot.version}: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.#table = table;
    this.#applied = {
      version: snapshot.version,
      epoch: snapshot.epoch,
      hash: snapshot.hash,
      source,
      appliedAt: new Date(),
      controllerId: from?.controllerId,
      savedAt: source === 'cache' ? from?.savedAt : undefined,
      apis: snapshot.content.apis.length,
    };
    return { ok: true };
  }
}

/**
 * Promise 10: no version regression. Within one epoch versions only move forward; a new
 * epoch (a deliberate restore) may carry any version; an older epoch is always refused.
 */
export function checkNotOlder(snapshot: Snapshot, current: Readonly<AppliedConfig> | undefined): string | undefined {
  if (!current) return undefined;
  if (snapshot.epoch < current.epoch) return `snapshot epoch ${snapshot.epoch} is older than the running epoch ${current.epoch}`;
  if (snapshot.epoch > current.epoch) return undefined;
  if (snapshot.version < current.version) return `snapshot version ${snapshot.version} is older than the running version ${current.version}`;
  if (snapshot.version === current.version && snapshot.hash !== current.hash) {
    return `version ${snapshot.version} is already applied with hash ${current.hash}, not ${snapshot.hash}`;
  }
  return undefined;
}
