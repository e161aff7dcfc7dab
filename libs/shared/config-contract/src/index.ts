export { canonicalJson } from './canonical-json.js';
export { API_RESOURCE_TYPE, apiResource, compareResources, contentHash, type ConfigResource } from './config-resource.js';
export { buildSnapshot, deriveSnapshot, stateHash, verifySnapshot, type ConfigSnapshot, type SnapshotVerdict } from './config-snapshot.js';
export { applyDelta, diffResources, diffSnapshots, heldIndex, resourceKey, type ConfigDelta, type DeltaResult, type HeldIndex, type HeldResource, type ResourceKey } from './config-delta.js';
export { decodeApiResource, type DecodedApi } from './decode-resource.js';
