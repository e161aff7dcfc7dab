import type { ApplyVerdict, SnapshotSource } from '@gw/config-client';
import { ErrorCodes } from '@gw/errors';
import { buildRouteTable, type RouteTable } from '@gw/routing';
import { verifySnapshot, type Snapshot } from '@gw/snapshot';

export type ConfigSource = 'controller' | 'cache';

export interface AppliedConfig {
  version: number;
  epoch: number;
  hash: string;
  source: ConfigSource;
  appliedAt: Date;
  controllerId: string | undefined;
  apis: number;
}

/**
 * The runtime's one mutable reference: the routing table in use. A new table is
 * validated and built off to the side, then swapped in one assignment; requests in
 * flight keep the table they started with.
 */
export class RuntimeState {
  #table: RouteTable | undefined;
  #applied: AppliedConfig | undefined;

  /** The hot path reads this once per request. */
  readonly getTable = (): RouteTable | undefined => this.#table;

  get applied(): Readonly<AppliedConfig> | undefined {
    return this.#applied;
  }

  apply(snapshot: Snapshot, source: ConfigSource, from?: SnapshotSource): ApplyVerdict {
    const current = this.#applied;
    if (current && current.epoch === snapshot.epoch && current.hash === snapshot.hash) {
      // Same content (e.g. after failing over to another replica): nothing to rebuild.
      if (snapshot.version > current.version) this.#applied = { ...current, version: snapshot.version, controllerId: from?.controllerId ?? current.controllerId };
      return { ok: true };
    }
    const verdict = verifySnapshot(snapshot);
    if (!verdict.ok) return { ok: false, code: verdict.code, message: verdict.message };
    let table: RouteTable;
    try {
      table = buildRouteTable(snapshot.content);
    } catch (err) {
      return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `routing table: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.#table = table;
    this.#applied = {
      version: snapshot.version,
      epoch: snapshot.epoch,
      hash: snapshot.hash,
      source,
      appliedAt: new Date(),
      controllerId: from?.controllerId,
      apis: snapshot.content.apis.length,
    };
    return { ok: true };
  }
}
