import { ClaimRegistry, compactDefinition, describeClaim, routeClaims, tryCompactDefinition, validateApiDefinition, type ApiDefinition, type ApiDefinitionInput, type RouteClaim } from '@gw/api-schema';
import { API_RESOURCE_TYPE, canonicalJson, contentHash, type ConfigResource } from '@gw/config-contract';

/** One stored API: its definition and the revision the store gave it. */
export interface DesiredApi {
  readonly definition: ApiDefinition;
  readonly revision: number;
}

/** An API left out of the snapshot, and why. Config problems are data, not exceptions. */
export interface CompileProblem {
  api: string;
  message: string;
}

/**
 * One API compiled on its own: everything that depends on this API alone (validation,
 * canonical JSON, content hash, route claims). It is a function of the stored content,
 * which the revision identifies, so it can be kept by (name, revision) and reused.
 */
export type CompiledApi =
  | { readonly ok: true; readonly name: string; readonly revision: number; readonly resource: ConfigResource; readonly claims: readonly RouteClaim[] }
  | { readonly ok: false; readonly name: string; readonly revision: number; readonly problem: string };

/**
 * Stored definitions pass the current schema again, so a row written before a field
 * existed gets that field's default, and one that is no longer valid is left out with a
 * problem. The common case, a row that is already what the schema gives back, costs no
 * validation beyond the compaction's own check (its content validates back to exactly the
 * row, which proves the row current and valid).
 */
export function compileApi({ definition, revision }: DesiredApi): CompiledApi {
  const name = definition.name;
  const compact = tryCompactDefinition(definition);
  if (compact !== undefined) return { ok: true, name, revision, resource: apiResourceOf(name, compact, revision), claims: routeClaims(definition) };
  const checked = validateApiDefinition(definition, { expectedName: name });
  if (!checked.ok) {
    const first = checked.problems[0];
    return { ok: false, name, revision, problem: `stored definition is invalid: ${first?.path || '(body)'} ${first?.message ?? ''}`.trimEnd() };
  }
  return { ok: true, name, revision, resource: compactApiResource(checked.value, revision), claims: routeClaims(checked.value) };
}

/**
 * The `api` resource of a validated definition, its content compacted: every value the
 * schema fills in again is left out (`compactDefinition`), so a resource carries what
 * differs from the defaults, not every disabled block (the smallest API: ~100 bytes
 * instead of ~940). The runtime's decode validates the content and fills the defaults in,
 * giving back exactly this definition; an older runtime fills in its own. Deterministic
 * (canonical JSON of a pure function of the definition), so every replica still sends the
 * same bytes and hashes for the same database state.
 */
export function compactApiResource(api: ApiDefinition, revision: number): ConfigResource {
  return apiResourceOf(api.name, compactDefinition(api), revision);
}

function apiResourceOf(name: string, content: ApiDefinitionInput, revision: number): ConfigResource {
  const text = canonicalJson(content);
  return Object.freeze({ type: API_RESOURCE_TYPE, name, version: revision, hash: contentHash(text), content: text });
}

/**
 * The cross-API rule, over APIs compiled on their own and given in name order (code
 * points): when two APIs claim the same host + base path, the one whose name sorts first
 * keeps the route and the other is left out with a problem, like Traefik's disabled
 * routers: one bad definition never takes the rest of the fleet's config down with it.
 * Claims are already computed per API, so this pass is map look-ups only.
 */
export function resolveClaims(sorted: Iterable<CompiledApi>): { resources: ConfigResource[]; problems: CompileProblem[] } {
  const resources: ConfigResource[] = [];
  const problems: CompileProblem[] = [];
  const claims = new ClaimRegistry();
  for (const api of sorted) {
    if (!api.ok) {
      problems.push({ api: api.name, message: api.problem });
      continue;
    }
    const taken = claims.take(api.name, api.claims);
    if (taken !== undefined) {
      problems.push({ api: api.name, message: `route ${describeClaim(taken.claim)} is already served by API "${taken.owner}"` });
      continue;
    }
    resources.push(api.resource);
  }
  return { resources, problems };
}

/** Locale-independent ordering: `localeCompare` may differ between ICU builds. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
