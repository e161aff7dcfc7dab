import type { ApiDefinition } from '@gw/api-schema';
import { apiResource } from '../config-resource.js';
import { buildSnapshot, type ConfigSnapshot } from '../config-snapshot.js';

/** A snapshot of these APIs (each at revision 1) at `version` in `epoch`. */
export function snapshotOf(apis: readonly ApiDefinition[], version = 1, epoch = 1): ConfigSnapshot {
  return buildSnapshot(version, epoch, apis.map((api) => apiResource(api, 1)));
}
