import { silentLogger, type Logger } from '@gw/logging';
import type { AuditContext, EpochBumpResult, FleetState, FleetStore } from '@gw/store';
import { FleetWaiter } from './fleet-waiter.js';
import { fleetStatus, laggards, runtimeViews, type ConfigRef, type FleetStatus, type Laggard, type RuntimeView, type DesiredConfig, desiredConfig } from './fleet-view.js';

export interface FleetStatusServiceOptions {
  store: Pick<FleetStore, 'readFleet' | 'bumpEpoch'>;
  controllerId: string;
  zone: string;
  /** This replica's compiled snapshot. */
  localSnapshot: () => ConfigRef | undefined;
  /** Connected runtimes not heard from for longer are stale (3 heartbeat intervals). */
  staleAfterMs: number;
  /** How often a wait re-reads the fleet (default 250 ms). */
  pollMs?: number;
  logger?: Logger;
}

export interface RuntimesReport {
  config: DesiredConfig;
  runtimes: RuntimeView[];
  checkedAt: string;
}

export type VersionWait =
  | { reached: true; status: FleetStatus }
  | { reached: false; status: FleetStatus; laggards: Laggard[] }
  /** No fleet read succeeded before the deadline (the database is down). */
  | { reached: false; status: undefined; error: unknown };

/**
 * What the status endpoints ask: the fleet as PostgreSQL holds it (so every replica
 * answers the same), judged against the database's config version and this replica's
 * compiled hash; waits for a version; and the epoch bump.
 */
export class FleetStatusService {
  readonly #waiter: FleetWaiter;

  constructor(private readonly options: FleetStatusServiceOptions) {
    this.#waiter = new FleetWaiter({
      read: () => options.store.readFleet(),
      logger: options.logger ?? silentLogger,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    });
  }

  get staleAfterMs(): number {
    return this.options.staleAfterMs;
  }

  async runtimes(filter: { zone?: string } = {}): Promise<RuntimesReport> {
    const state = await this.options.store.readFleet();
    const views = runtimeViews(state, this.#ctx());
    return {
      config: desiredConfig(state, this.options.localSnapshot()),
      runtimes: filter.zone === undefined ? views : views.filter((v) => v.zone === filter.zone),
      checkedAt: state.now.toISOString(),
    };
  }

  async status(): Promise<FleetStatus> {
    return this.#status(await this.options.store.readFleet());
  }

  /** Resolves once every connected runtime runs `version` or newer, or when the wait ends. */
  async waitForVersion(version: number, options: { timeoutMs: number; signal?: AbortSignal }): Promise<VersionWait> {
    const outcome = await this.#waiter.wait((state) => laggards(state, version, this.options.staleAfterMs).length === 0, options);
    if (outcome.done) return { reached: true, status: this.#status(outcome.state) };
    if (!outcome.state) return { reached: false, status: undefined, error: outcome.error };
    return { reached: false, status: this.#status(outcome.state), laggards: laggards(outcome.state, version, this.options.staleAfterMs) };
  }

  /** See FleetStore.bumpEpoch; `expectedEpoch` makes it conditional (GW_PRECONDITION_FAILED otherwise). */
  bumpEpoch(context: AuditContext, expectedEpoch?: number): Promise<EpochBumpResult> {
    return this.options.store.bumpEpoch(expectedEpoch === undefined ? { ...context } : { ...context, expectedEpoch });
  }

  /** Something changed in the fleet table (e.g. this replica recorded an ACK): waits re-check now. */
  changed(): void {
    this.#waiter.wake();
  }

  /** Ends open waits so shutdown is not held by them. */
  stop(): Promise<void> {
    return this.#waiter.stop();
  }

  #ctx() {
    return { staleAfterMs: this.options.staleAfterMs, localSnapshot: this.options.localSnapshot() };
  }

  #status(state: FleetState): FleetStatus {
    return fleetStatus(state, { ...this.#ctx(), controllerId: this.options.controllerId, zone: this.options.zone });
  }
}
