import type { ApiDefinition } from '@gw/api-schema';
import { decodeApiResource, verifySnapshot, type ConfigResource, type ConfigSnapshot } from '@gw/config-contract';
import { ErrorCodes, GatewayError, type ErrorCode } from '@gw/errors';
import { buildApiRoutes, buildRouteTable, type ApiRoutes, type RouteTable, type Routed } from '@gw/routing';
import { Upstream, type UpstreamContext } from '@gw/upstreams';
import { ApiPolicies, type PolicyServices } from './api-policies.js';

/**
 * One API as the runtime runs it, built once per resource hash: the definition exactly as
 * the controller compiled it (deep-frozen), its router, its upstream handle (balancer,
 * health, breaker, retry budget) and its built policies. The routing table hands this
 * very object to the proxy, so a request finds everything about its API in one place.
 */
export interface ApiRuntime extends Routed {
  readonly name: string;
  /** The content hash of the resource it was built from: the same hash, the same object. */
  readonly hash: string;
  /** The API's revision (the resource version). */
  readonly revision: number;
  readonly definition: ApiDefinition;
  readonly router: ApiRoutes | undefined;
  readonly upstream: Upstream;
  readonly policies: ApiPolicies;
}

/**
 * The runtime's whole config at one version, frozen: built off to the side from a
 * verified snapshot and swapped in with one assignment (`RuntimeState`); requests in
 * flight keep the object they started with.
 */
export interface RuntimeConfig {
  readonly version: number;
  readonly epoch: number;
  readonly hash: string;
  /** What it was built from (the last-known-good file keeps it). */
  readonly snapshot: ConfigSnapshot;
  /** By API name. */
  readonly apis: ReadonlyMap<string, ApiRuntime>;
  readonly table: RouteTable<ApiRuntime>;
}

/** Everything a config build needs that outlives one config. */
export interface RuntimeConfigServices extends PolicyServices {
  readonly upstreams: UpstreamContext;
}

export type BuildVerdict = { ok: true; config: RuntimeConfig; built: readonly ApiRuntime[] } | { ok: false; code: ErrorCode; message: string };

/**
 * A snapshot → the runtime config, or why not (the NACK). Every resource is checked first
 * (hashes, then each changed resource decoded with the API schema: a field this build
 * does not know is GW_SNAPSHOT_UNSUPPORTED), so nothing is half-applied. An API whose
 * resource hash is unchanged keeps its whole `ApiRuntime` from `previous`; a changed one
 * is built anew, carrying over its upstream health and unchanged rate limiters.
 * `built` lists the APIs built anew.
 */
export function buildRuntimeConfig(snapshot: ConfigSnapshot, previous: RuntimeConfig | undefined, services: RuntimeConfigServices): BuildVerdict {
  const verdict = verifySnapshot(snapshot);
  if (!verdict.ok) return verdict;
  const apis = new Map<string, ApiRuntime>();
  const built: ApiRuntime[] = [];
  for (const resource of snapshot.resources) {
    const kept = previous?.apis.get(resource.name);
    if (kept !== undefined && kept.hash === resource.hash) {
      apis.set(resource.name, kept.revision === resource.version ? kept : Object.freeze({ ...kept, revision: resource.version }));
      continue;
    }
    const decoded = decodeApiResource(resource);
    if (!decoded.ok) return decoded;
    let api: ApiRuntime;
    try {
      api = buildApiRuntime(resource, decoded.api, kept, services);
    } catch (err) {
      return refusal(`${resource.type} "${resource.name}"`, err);
    }
    apis.set(api.name, api);
    built.push(api);
  }
  let table: RouteTable<ApiRuntime>;
  try {
    table = buildRouteTable([...apis.values()]);
  } catch (err) {
    return refusal('routing table', err);
  }
  const config: RuntimeConfig = Object.freeze({ version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, snapshot, apis, table });
  return { ok: true, config, built };
}

function buildApiRuntime(resource: ConfigResource, definition: ApiDefinition, previous: ApiRuntime | undefined, services: RuntimeConfigServices): ApiRuntime {
  const def = deepFreeze(definition);
  return Object.freeze({
    name: def.name,
    hash: resource.hash,
    revision: resource.version,
    definition: def,
    router: buildApiRoutes(def.routes),
    upstream: Upstream.follow(def.name, def.upstream, previous?.upstream, services.upstreams),
    policies: new ApiPolicies(def, services, previous?.policies),
  });
}

function refusal(where: string, err: unknown): { ok: false; code: ErrorCode; message: string } {
  if (err instanceof GatewayError) return { ok: false, code: err.code, message: err.message };
  return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `${where}: ${err instanceof Error ? err.message : String(err)}` };
}

/** The config's own frozen copy: nothing a request can reach may change the applied config. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
