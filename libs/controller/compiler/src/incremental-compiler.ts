import { claimKey } from '@gw/api-schema';
import { API_RESOURCE_TYPE, buildSnapshot, deriveSnapshot, resourceKey, type ConfigResource, type ConfigSnapshot } from '@gw/config-contract';
import { compareCodePoints, compileApi, resolveClaims, type CompiledApi, type CompileProblem, type DesiredApi } from './compile-api.js';
import { compileSnapshot, type CompileResult, type CompilerInput } from './compile-snapshot.js';

/** What changed in the database since the revisions the compiler holds (see `known`). */
export interface DesiredStateChange {
  version: number;
  epoch: number;
  /** New APIs and APIs at another revision than the one held, with their definitions. */
  changed: readonly DesiredApi[];
  /** Names held that are no longer stored. */
  removed: readonly string[];
}

/** Above this many new or removed names, re-sorting all names beats inserting each one. */
const RESORT_THRESHOLD = 64;

/** How the compiles so far went (for tests and benchmarks). */
export interface IncrementalCompilerStats {
  /** Whole-state compiles (`reset`). */
  full: number;
  /** Changes after which the route claims of all APIs were re-checked. */
  rechecked: number;
  /** Changes that touched only uncontested routes, so only the touched resources were swapped. */
  local: number;
}

interface Touched {
  before: CompiledApi | undefined;
  after: CompiledApi | undefined;
}

/**
 * The compiler that keeps every API compiled on its own, by name and revision, so a change
 * recompiles only the APIs it touched (validation, canonical JSON and content hash are the
 * cost). The cross-API rule (route claims) is maintained through an index of who claims
 * what: when every API a change touches is valid and alone on each of its routes, before
 * and after, no other API's outcome can change, and only the touched resources are
 * swapped. Otherwise (a route shared, a definition invalid) the claims of all APIs are
 * re-checked over the kept compiled APIs (map look-ups, no re-validation), since a change
 * can then move a route to another API (its owner was deleted) or take one away. The
 * snapshot is built by the same function as the full compile, so it is byte-identical to
 * `compileSnapshot` of the same state, whatever order the changes arrived in; the
 * property spec holds it to that.
 *
 * An epoch change (a restore) or a compiler that holds nothing takes the full path
 * (`reset`): `apply` answers `undefined` and the caller reads the whole state.
 */
export class IncrementalCompiler {
  readonly #apis = new Map<string, CompiledApi>();
  /** The names of #apis in code-point order. */
  #names: string[] = [];
  #last: CompileResult | undefined;
  /** Claim key → the names of the valid APIs that claim it (served or not). */
  readonly #claimants = new Map<string, Set<string>>();
  readonly #stats: IncrementalCompilerStats = { full: 0, rechecked: 0, local: 0 };

  get stats(): Readonly<IncrementalCompilerStats> {
    return { ...this.#stats };
  }

  /** The snapshot and problems of the last compile, if any. */
  get current(): CompileResult | undefined {
    return this.#last;
  }

  /** The revision held per API name. */
  known(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [name, api] of this.#apis) out.set(name, api.revision);
    return out;
  }

  /** Forgets everything and compiles the whole state: start-up and epoch change. */
  reset(input: CompilerInput): CompileResult {
    this.#stats.full++;
    this.#apis.clear();
    this.#claimants.clear();
    for (const api of input.apis) this.#apis.set(api.definition.name, compileApi(api));
    if (this.#apis.size !== input.apis.length) {
      // Duplicate names cannot come from the database (the name is its key); keep the reference's answer for them.
      this.#apis.clear();
      this.#names = [];
      this.#last = undefined;
      return compileSnapshot(input);
    }
    for (const api of this.#apis.values()) this.#addClaims(api);
    this.#names = [...this.#apis.keys()].sort(compareCodePoints);
    return this.#build(input.version, input.epoch);
  }

  /** Applies a change on top of what is held; `undefined` when it needs the full path instead. */
  apply(change: DesiredStateChange): CompileResult | undefined {
    const last = this.#last;
    if (last === undefined || last.snapshot.epoch !== change.epoch) return undefined;
    if (change.changed.length === 0 && change.removed.length === 0) {
      // Same content under a newer version (e.g. a rollback to identical content elsewhere): same resources and hash.
      const { hash, resources } = last.snapshot;
      const snapshot: ConfigSnapshot = Object.freeze({ version: change.version, epoch: change.epoch, hash, resources });
      this.#last = { snapshot, problems: last.problems };
      return this.#last;
    }
    const touched = new Map<string, Touched>();
    for (const name of change.removed) touched.set(name, { before: this.#apis.get(name), after: undefined });
    for (const api of change.changed) {
      const name = api.definition.name;
      touched.set(name, { before: touched.get(name)?.before ?? this.#apis.get(name), after: compileApi(api) });
    }
    let local = [...touched.values()].every((t) => this.#alone(t.before));
    const added: string[] = [];
    const removed = new Set<string>();
    for (const [name, { before, after }] of touched) {
      if (before !== undefined) this.#removeClaims(before);
      if (after === undefined) {
        if (this.#apis.delete(name)) removed.add(name);
        continue;
      }
      if (before === undefined) added.push(name);
      this.#apis.set(name, after);
      this.#addClaims(after);
    }
    local &&= [...touched.values()].every((t) => this.#alone(t.after));
    this.#updateNames(added, removed);
    if (!local) {
      this.#stats.rechecked++;
      return this.#build(change.version, change.epoch);
    }
    this.#stats.local++;
    // Only the touched resources are merged in and hashed: per change, work in proportion to the change plus one merge walk.
    const { changed, gone } = swapSet(touched);
    this.#last = { snapshot: deriveSnapshot(last.snapshot, change.version, change.epoch, changed, gone), problems: last.problems };
    return this.#last;
  }

  /** Absent, or valid and the only API on each of its routes (so served, and in nobody's way). */
  #alone(api: CompiledApi | undefined): boolean {
    if (api === undefined) return true;
    if (!api.ok) return false;
    return api.claims.every((claim) => this.#claimants.get(claimKey(claim))?.size === 1);
  }

  #addClaims(api: CompiledApi): void {
    if (!api.ok) return;
    for (const claim of api.claims) {
      const key = claimKey(claim);
      const names = this.#claimants.get(key);
      if (names === undefined) this.#claimants.set(key, new Set([api.name]));
      else names.add(api.name);
    }
  }

  #removeClaims(api: CompiledApi): void {
    if (!api.ok) return;
    for (const claim of api.claims) {
      const key = claimKey(claim);
      const names = this.#claimants.get(key);
      names?.delete(api.name);
      if (names?.size === 0) this.#claimants.delete(key);
    }
  }

  #updateNames(added: readonly string[], removed: ReadonlySet<string>): void {
    if (added.length + removed.size > RESORT_THRESHOLD) {
      this.#names = [...this.#apis.keys()].sort(compareCodePoints);
      return;
    }
    if (removed.size > 0) this.#names = this.#names.filter((name) => !removed.has(name) || this.#apis.has(name));
    for (const name of added) {
      const at = lowerBound(this.#names, name, (n) => n);
      if (this.#names[at] !== name) this.#names.splice(at, 0, name);
    }
  }

  #build(version: number, epoch: number): CompileResult {
    const apis = this.#apis;
    const { resources, problems } = resolveClaims(this.#names.map((name) => apis.get(name)!));
    this.#last = { snapshot: buildSnapshot(version, epoch, resources), problems };
    return this.#last;
  }
}

/** The touched APIs' new resources (in name order) and the keys of the resources they no longer serve. */
function swapSet(touched: ReadonlyMap<string, Touched>): { changed: ConfigResource[]; gone: Set<string> } {
  const changed: ConfigResource[] = [];
  const gone = new Set<string>();
  for (const [name, { after }] of touched) {
    if (after?.ok) changed.push(after.resource);
    else gone.add(resourceKey({ type: API_RESOURCE_TYPE, name }));
  }
  changed.sort((a, b) => compareCodePoints(a.name, b.name));
  return { changed, gone };
}

/** The first index whose name is not below `name` (binary search in code-point order). */
function lowerBound<T>(items: readonly T[], name: string, nameOf: (item: T) => string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCodePoints(nameOf(items[mid]!), name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

