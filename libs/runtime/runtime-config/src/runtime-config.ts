import type { ApiDefinition, ApiRoute } from '@gw/api-schema';
import { API_RESOURCE_TYPE, compareResources, contentHash, decodeApiResource, stateHash, type ConfigResource, type ConfigSnapshot, type DecodedApi } from '@gw/config-contract';
import { ErrorCodes, GatewayError, type ErrorCode } from '@gw/errors';
import { buildApiRoutes, buildRouteTable, updateRouteTable, type ApiRoutes, type RouteTable, type Routed } from '@gw/routing';
import { Upstream, type UpstreamContext } from '@gw/upstreams';
import { ApiPolicies, type PolicyServices } from './api-policies.js';
import { decodeSharedBlocks, encodeSharedBlocks, type EncodedBlocks } from './shared-blocks.js';
import { SharedValues } from './shared-values.js';

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
  /** The resource it was built from, verified: the next config keeps this object while the hash stays. */
  readonly resource: ConfigResource;
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
  /**
   * What it was built from, verified (the last-known-good file keeps it): the resources
   * of unchanged APIs are the previous config's objects, so configs share them.
   */
  readonly snapshot: ConfigSnapshot;
  /** By API name. */
  readonly apis: ReadonlyMap<string, ApiRuntime>;
  readonly table: RouteTable<ApiRuntime>;
}

/** Everything a config build needs that outlives one config. */
export interface RuntimeConfigServices extends PolicyServices {
  readonly upstreams: UpstreamContext;
}

export interface BuildOptions {
  /**
   * Every resource's content was already checked against its hash by the caller (the disk
   * cache's loader verifies each one, and the state hash, before it returns a snapshot), so
   * it is not hashed a second time here. The state hash is still checked, and every
   * definition is still decoded and validated.
   */
  contentVerified?: boolean;
  /**
   * Definitions this very build already decoded, by content hash (the disk cache keeps
   * them with the API schema build's fingerprint and loads them only when it matches): a resource
   * whose verified content hashes to one of them takes it instead of being decoded again.
   * Only with `contentVerified` (the hash is then known to be the content's); anything
   * not found here, or for another name, is decoded and validated in full.
   */
  decoded?: ReadonlyMap<string, unknown>;
}

export type BuildVerdict = { ok: true; config: RuntimeConfig; built: readonly ApiRuntime[] } | { ok: false; code: ErrorCode; message: string };

/**
 * A snapshot → the runtime config, or why not (the NACK). Every resource is checked first
 * (order, content hashes, the state hash, then each changed resource decoded with the API
 * schema: a field this build does not know is GW_SNAPSHOT_UNSUPPORTED), so nothing is
 * half-applied.
 *
 * Costs in proportion to the change (issue 13): an API whose resource hash is unchanged
 * keeps its whole `ApiRuntime` from `previous` (router, upstream handle with its health,
 * breaker and balancer, policies) and its verified resource object, whose content is
 * therefore not hashed again; the state hash over all resource hashes is always checked.
 * A changed API is built anew, carrying over its upstream health and unchanged rate
 * limiters; the routing table is updated for the changed and removed APIs only.
 * `built` lists the APIs built anew.
 */
export function buildRuntimeConfig(snapshot: ConfigSnapshot, previous: RuntimeConfig | undefined, services: RuntimeConfigServices, options: BuildOptions = {}): BuildVerdict {
  const hashContent = options.contentVerified !== true;
  const incoming = snapshot.resources;
  const resources: ConfigResource[] = new Array<ConfigResource>(incoming.length);
  /** The APIs in resource order (sorted by name), as the map below keeps them. */
  const ordered: ApiRuntime[] = new Array<ApiRuntime>(incoming.length);
  /** Built anew or given a new revision: the objects the routing table must hand out now. */
  const changed: ApiRuntime[] = [];
  const built: ApiRuntime[] = [];
  const toBuild: { at: number; resource: ConfigResource; kept: ApiRuntime | undefined }[] = [];
  for (let i = 0; i < incoming.length; i++) {
    const resource = incoming[i]!;
    if (i > 0 && compareResources(incoming[i - 1]!, resource) >= 0) {
      return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `resources must be sorted by type and name, each once: ${resource.type} "${resource.name}" is out of place` };
    }
    const kept = previous?.apis.get(resource.name);
    if (kept !== undefined && kept.hash === resource.hash && kept.resource.type === resource.type) {
      // Unchanged content: what runs was built from content verified to hash to this hash.
      if (kept.revision === resource.version) {
        resources[i] = kept.resource;
        ordered[i] = kept;
      } else {
        const again = Object.freeze({ ...kept, revision: resource.version, resource: Object.freeze({ ...kept.resource, version: resource.version }) });
        resources[i] = again.resource;
        ordered[i] = again;
        changed.push(again);
      }
      continue;
    }
    const actual = hashContent ? contentHash(resource.content) : resource.hash;
    if (actual !== resource.hash) {
      return { ok: false, code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH, message: `${resource.type} "${resource.name}" hashes to ${actual}, not the announced ${resource.hash}` };
    }
    resources[i] = resource;
    toBuild.push({ at: i, resource, kept });
  }
  const actual = stateHash(resources);
  if (actual !== snapshot.hash) return { ok: false, code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH, message: `the resources hash to ${actual}, not the announced ${snapshot.hash}` };

  const known = hashContent ? undefined : options.decoded;
  for (const { at, resource, kept } of toBuild) {
    const decoded = decodedBefore(resource, known) ?? decodeApiResource(resource);
    if (!decoded.ok) return decoded;
    let api: ApiRuntime;
    try {
      api = buildApiRuntime(resource, decoded.api, kept, services);
    } catch (err) {
      return refusal(`${resource.type} "${resource.name}"`, err);
    }
    ordered[at] = api;
    built.push(api);
    changed.push(api);
  }
  const apis = new Map<string, ApiRuntime>();
  for (const api of ordered) apis.set(api.name, api);
  let table: RouteTable<ApiRuntime>;
  try {
    if (previous === undefined) {
      table = buildRouteTable([...apis.values()]);
    } else {
      // Every API of `previous` is still here unless the count says otherwise: then find the gone ones.
      const added = built.filter((api) => !previous.apis.has(api.name)).length;
      const removed: string[] = [];
      if (previous.apis.size + added !== apis.size) for (const name of previous.apis.keys()) if (!apis.has(name)) removed.push(name);
      table = updateRouteTable(previous.table, changed, removed);
    }
  } catch (err) {
    return refusal('routing table', err);
  }
  const verified: ConfigSnapshot = Object.freeze({ version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, resources: Object.freeze(resources) });
  const config: RuntimeConfig = Object.freeze({ version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, snapshot: verified, apis, table });
  return { ok: true, config, built };
}

/** The definition this build decoded from this very content before, if `known` has it (see BuildOptions.decoded). */
function decodedBefore(resource: ConfigResource, known: ReadonlyMap<string, unknown> | undefined): DecodedApi | undefined {
  const api = known?.get(resource.hash);
  if (typeof api !== 'object' || api === null || resource.type !== API_RESOURCE_TYPE || (api as ApiDefinition).name !== resource.name) return undefined;
  return { ok: true, api: api as ApiDefinition };
}

/** Definition values shared by every config of this process (see SharedValues). */
const shared = new SharedValues();
/**
 * Built definitions (`ApiRuntime.definition`) by content hash, written with each shared
 * block once (shared-blocks.ts): what the disk cache keeps as decoded definitions.
 */
export function encodeDefinitions(entries: Iterable<readonly [string, ApiDefinition]>): EncodedBlocks<string> {
  return encodeSharedBlocks(shared, entries);
}

/**
 * What `encodeDefinitions` wrote, parsed from JSON: the definitions by content hash, their
 * blocks shared with this process's configs already, so a build that takes them (BuildOptions.decoded)
 * does not share them again. Throws on a damaged encoding (the caller decodes in full).
 */
export function decodeDefinitions(blocks: unknown, entries: Iterable<readonly [string, unknown]>): Map<string, unknown> {
  return decodeSharedBlocks(shared, blocks, entries);
}

/** One router per distinct route list: shared route lists are the same frozen array, and a router depends on nothing else. */
const routers = new WeakMap<readonly ApiRoute[], ApiRoutes>();

function buildApiRuntime(resource: ConfigResource, definition: ApiDefinition, previous: ApiRuntime | undefined, services: RuntimeConfigServices): ApiRuntime {
  // The config's own frozen copy, its common blocks shared with other APIs: nothing a request can reach may change the applied config.
  const def = shared.share(definition);
  return Object.freeze({
    name: def.name,
    hash: resource.hash,
    revision: resource.version,
    resource,
    definition: def,
    router: routerFor(def.routes),
    upstream: Upstream.follow(def.name, def.upstream, previous?.upstream, services.upstreams),
    policies: new ApiPolicies(def, services, previous?.policies),
  });
}

function routerFor(routes: readonly ApiRoute[]): ApiRoutes | undefined {
  if (routes.length === 0) return undefined;
  let router = routers.get(routes);
  if (router === undefined) routers.set(routes, (router = buildApiRoutes(routes)!));
  return router;
}

function refusal(where: string, err: unknown): { ok: false; code: ErrorCode; message: string } {
  if (err instanceof GatewayError) return { ok: false, code: err.code, message: err.message };
  return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `${where}: ${err instanceof Error ? err.message : String(err)}` };
}
