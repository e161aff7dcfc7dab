import { createHash } from 'node:crypto';
import type { ApiDefinition } from '@gw/api-schema';
import { canonicalJson } from './canonical-json.js';

/** The resource type of an API definition (`libs/shared/api-schema`): the only type so far. */
export const API_RESOURCE_TYPE = 'api';

/**
 * One named piece of config, as the controller compiles it and the runtime receives,
 * validates and keeps it (Envoy's xDS resource): the content travels as canonical JSON,
 * so a new field of the API definition needs no change to the contract, and a runtime
 * that does not know a field can name it (a NACK with GW_SNAPSHOT_UNSUPPORTED) instead of
 * dropping it. The hash identifies the content; the version is the API's revision.
 */
export interface ConfigResource {
  readonly type: string;
  readonly name: string;
  /** The revision of the API this content was compiled from (informational: the hash is the identity). */
  readonly version: number;
  /** Lower-case hex SHA-256 of `content`. */
  readonly hash: string;
  /** Canonical JSON of the resource: for `api`, the normalized API definition. */
  readonly content: string;
}

export function contentHash(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** An API definition (normalized, every default filled in) as a resource. */
export function apiResource(api: ApiDefinition, revision: number): ConfigResource {
  const content = canonicalJson(api);
  return Object.freeze({ type: API_RESOURCE_TYPE, name: api.name, version: revision, hash: contentHash(content), content });
}

/** Resource order everywhere (snapshots, the wire, the cache file): by type, then name, in code-point order. */
export function compareResources(a: Pick<ConfigResource, 'type' | 'name'>, b: Pick<ConfigResource, 'type' | 'name'>): number {
  return compare(a.type, b.type) || compare(a.name, b.name);
}

/** One map key per resource identity (a NUL cannot occur in a type). */
export function resourceKey(r: Pick<ConfigResource, 'type' | 'name'>): string {
  return `${r.type}\u0000${r.name}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
