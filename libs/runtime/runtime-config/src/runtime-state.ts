import type { ConfigSnapshot } from '@gw/config-contract';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { buildRuntimeConfig, type ApiRuntime, type RuntimeConfig, type RuntimeConfigServices } from './runtime-config.js';

export type ConfigSource = 'controller' | 'cache';

/** What the runtime reports about the config it runs (admin `/config`, metrics, the config stream). */
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
  /** Every resource's content was verified against its hash by whoever read it (the disk cache's loader): not hashed again. */
  contentVerified?: boolean;
  /** Definitions this build decoded before, by content hash (BuildOptions.decoded; used only with `contentVerified`). */
  decoded?: ReadonlyMap<string, unknown>;
}

/** The ACK or the NACK. */
export type ApplyVerdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** Told of every swap, after it: the new config, the one it replaced, and the APIs built anew. */
export type SwapListener = (next: RuntimeConfig, previous: RuntimeConfig | undefined, built: readonly ApiRuntime[]) => void;

export interface RuntimeStateOptions {
  /** Snapshots with more APIs are refused (RUNTIME_MAX_APIS). */
  maxApis: number;
  services: RuntimeConfigServices;
}

/**
 * The runtime's one mutable reference: the config in use. A snapshot is checked against
 * what runs (no regression, capacity), built into a new `RuntimeConfig` off to the side,
 * then swapped in with one assignment; requests in flight keep the config they started
 * with. A refused snapshot changes nothing and comes back as the NACK's code and message.
 */
export class RuntimeState {
  #config: RuntimeConfig | undefined;
  #applied: AppliedConfig | undefined;
  readonly #listeners: SwapListener[] = [];

  constructor(private readonly options: RuntimeStateOptions) {}

  /** The hot path reads this once per request. */
  readonly getConfig = (): RuntimeConfig | undefined => this.#config;

  get applied(): Readonly<AppliedConfig> | undefined {
    return this.#applied;
  }

  /** Listeners run in order after each swap (health checks follow the config; never throw). */
  onSwap(listener: SwapListener): void {
    this.#listeners.push(listener);
  }

  apply(snapshot: ConfigSnapshot, source: ConfigSource, from?: ApplyOrigin): ApplyVerdict {
    const current = this.#applied;
    if (current && current.epoch === snapshot.epoch && current.hash === snapshot.hash) {
      // Same content (e.g. after failing over to another replica): nothing to rebuild.
      if (snapshot.version > current.version) this.#applied = { ...current, version: snapshot.version, controllerId: from?.controllerId ?? current.controllerId };
      // A controller confirming what the cache gave us: the config stays, the source changes.
      if (source === 'controller' && current.source === 'cache' && snapshot.version >= current.version) {
        this.#applied = { ...this.#applied!, source, savedAt: undefined, controllerId: from?.controllerId ?? current.controllerId };
      }
      return { ok: true };
    }
    const regression = checkNotOlder(snapshot, current);
    if (regression) return { ok: false, code: ErrorCodes.GW_SNAPSHOT_REGRESSION, message: regression };
    if (snapshot.resources.length > this.options.maxApis) {
      return {
        ok: false,
        code: ErrorCodes.GW_SNAPSHOT_OVER_CAPACITY,
        message: `snapshot ${snapshot.version} holds ${snapshot.resources.length} APIs; this runtime accepts at most ${this.options.maxApis} (RUNTIME_MAX_APIS)`,
      };
    }
    const previous = this.#config;
    const result = buildRuntimeConfig(snapshot, previous, this.options.services, { contentVerified: from?.contentVerified === true, decoded: from?.decoded });
    if (!result.ok) return { ok: false, code: result.code, message: result.message };
    this.#config = result.config;
    this.#applied = {
      version: snapshot.version,
      epoch: snapshot.epoch,
      hash: snapshot.hash,
      source,
      appliedAt: new Date(),
      controllerId: from?.controllerId,
      savedAt: source === 'cache' ? from?.savedAt : undefined,
      apis: snapshot.resources.length,
    };
    for (const listener of this.#listeners) listener(result.config, previous, result.built);
    return { ok: true };
  }
}

/**
 * Promise 10: no version regression. Within one epoch versions only move forward; a new
 * epoch (a deliberate restore) may carry any version; an older epoch is always refused.
 */
export function checkNotOlder(snapshot: Pick<ConfigSnapshot, 'version' | 'epoch' | 'hash'>, current: Readonly<AppliedConfig> | undefined): string | undefined {
  if (!current) return undefined;
  if (snapshot.epoch < current.epoch) return `snapshot epoch ${snapshot.epoch} is older than the running epoch ${current.epoch}`;
  if (snapshot.epoch > current.epoch) return undefined;
  if (snapshot.version < current.version) return `snapshot version ${snapshot.version} is older than the running version ${current.version}`;
  if (snapshot.version === current.version && snapshot.hash !== current.hash) {
    return `version ${snapshot.version} is already applied with hash ${current.hash}, not ${snapshot.hash}`;
  }
  return undefined;
}
