import type { ConfigDelta, ConfigResource, ConfigSnapshot } from '@gw/config-contract';
import type { ConfigResponse__Output } from './generated/gateway/config/v1/ConfigResponse.js';
import type { Resource } from './generated/gateway/config/v1/Resource.js';
import type { ResourceVersion } from './generated/gateway/config/v1/ResourceVersion.js';

/**
 * The snapshot's resources as the response's `resources` field. The message mirrors the
 * resource field for field, so there is nothing to convert: this only names the step.
 */
export function resourcesToProto(snapshot: ConfigSnapshot): Resource[] {
  return snapshot.resources as ConfigResource[];
}

/** A received response as the snapshot it announces (not yet verified: see `verifySnapshot`). */
export function snapshotFromResponse(response: ConfigResponse__Output): ConfigSnapshot {
  return {
    version: response.version,
    epoch: response.epoch,
    hash: response.hash,
    resources: response.resources.map((r) => ({ type: r.type, name: r.name, version: r.version, hash: r.hash, content: r.content })),
  };
}

/** A received delta response as the delta it announces (not yet applied nor verified: see `applyDelta`). */
export function deltaFromResponse(response: ConfigResponse__Output): ConfigDelta {
  return {
    version: response.version,
    epoch: response.epoch,
    hash: response.hash,
    baseHash: response.baseHash,
    changed: response.resources.map((r) => ({ type: r.type, name: r.name, version: r.version, hash: r.hash, content: r.content })),
    removed: response.removedResources.map((r) => ({ type: r.type, name: r.name })),
  };
}

/** What a runtime holds, as the first request of a delta stream lists it. */
export function heldToProto(snapshot: ConfigSnapshot): ResourceVersion[] {
  return snapshot.resources.map((r) => ({ type: r.type, name: r.name, hash: r.hash }));
}
