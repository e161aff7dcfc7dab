import { buildSnapshot, diffResources, diffSnapshots, type ConfigDelta, type ConfigSnapshot, type HeldIndex } from '@gw/config-contract';
import { encodeConfigResponse, resourcesToProto } from '@gw/config-proto';

/** One response body, encoded once, with what it carries (for metrics). */
export interface SharedResponse {
  readonly mode: 'full' | 'delta';
  /** The encoded response without its nonce (see EncodedConfigResponse). */
  readonly body: Buffer;
  readonly resources: number;
  readonly removed: number;
}

/** What the controller knows a runtime holds: a state hash and, to diff against, its resources. */
export interface HeldBase {
  readonly hash: string;
  readonly epoch: number;
  /** Resource hashes by key; computed from `snapshot` when absent. */
  readonly index?: HeldIndex;
  /** The snapshot the runtime ACKed on this stream, when that is how we know. */
  readonly snapshot?: ConfigSnapshot;
}

const EMPTY = buildSnapshot(0, 0, []);

/** Distinct bases remembered per snapshot: a fleet is at a handful of states, not thousands. */
const MAX_DELTAS_PER_SNAPSHOT = 64;

/**
 * The responses for the replica's current snapshot, each computed and encoded once and
 * shared by every stream that sends it (issue 16: "encodes each distinct response once,
 * not once per runtime"): the whole state, and the delta from each distinct base state
 * (by state hash: every runtime at the previous version shares one). Only the current
 * snapshot's responses are kept: a newer snapshot drops them all, so memory is bounded by
 * one whole state plus a few deltas.
 */
export class SharedResponses {
  #snapshot: ConfigSnapshot | undefined;
  #full: SharedResponse | undefined;
  #deltas = new Map<string, SharedResponse | 'full'>();
  /** Distinct responses computed and encoded (a measure of the sharing, for tests). */
  encodings = 0;

  constructor(private readonly identity: { controllerId: string; zone: string }) {}

  /** The whole state of `snapshot`. */
  full(snapshot: ConfigSnapshot): SharedResponse {
    this.#switchTo(snapshot);
    if (!this.#full) {
      this.encodings++;
      this.#full = {
        mode: 'full',
        body: encodeConfigResponse({ ...this.#header(snapshot), resources: resourcesToProto(snapshot) }),
        resources: snapshot.resources.length,
        removed: 0,
      };
    }
    return this.#full;
  }

  /**
   * The response that brings a runtime holding `base` to `snapshot`: a delta, or the whole
   * state when the delta would carry every resource anyway (nothing to gain).
   */
  toward(snapshot: ConfigSnapshot, base: HeldBase): SharedResponse {
    this.#switchTo(snapshot);
    let memo = this.#deltas.get(base.hash);
    if (!memo) {
      const delta = base.index ? diffResources(base.index, base.hash, snapshot) : diffSnapshots(base.snapshot ?? EMPTY, snapshot);
      memo = delta.changed.length >= snapshot.resources.length && snapshot.resources.length > 0 ? 'full' : this.#encodeDelta(delta);
      // Bounded: past the cap a delta is still computed, just not kept.
      if (this.#deltas.size < MAX_DELTAS_PER_SNAPSHOT) this.#deltas.set(base.hash, memo);
    }
    return memo === 'full' ? this.full(snapshot) : memo;
  }

  #encodeDelta(delta: ConfigDelta): SharedResponse {
    this.encodings++;
    return {
      mode: 'delta',
      body: encodeConfigResponse({
        version: delta.version,
        epoch: delta.epoch,
        hash: delta.hash,
        controllerId: this.identity.controllerId,
        controllerZone: this.identity.zone,
        resources: [...delta.changed],
        delta: true,
        removedResources: [...delta.removed],
        baseHash: delta.baseHash,
      }),
      resources: delta.changed.length,
      removed: delta.removed.length,
    };
  }

  #header(snapshot: ConfigSnapshot) {
    return { version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, controllerId: this.identity.controllerId, controllerZone: this.identity.zone };
  }

  #switchTo(snapshot: ConfigSnapshot): void {
    if (this.#snapshot === snapshot) return;
    this.#snapshot = snapshot;
    this.#full = undefined;
    this.#deltas = new Map();
  }
}
