import { buildSnapshot, type ConfigSnapshot } from '@gw/config-contract';
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

/**
 * The compiler that keeps every API compiled on its own, by name and revision, so a change
 * recompiles only the APIs it touched (validation, canonical JSON and content hash are the
 * cost). The cross-API rule (route claims) is re-checked over the kept claims on every
 * change: map look-ups only, and a change can move a route to another API (the owner was
 * deleted) or take one away. The snapshot is then built by the same function as the full
 * compile, so it is byte-identical to `compileSnapshot` of the same state, whatever order
 * the changes arrived in; the property spec holds it to that.
 *
 * An epoch change (a restore) or a compiler that holds nothing takes the full path
 * (`reset`): `apply` answers `undefined` and the caller reads the whole state.
 */
export class IncrementalCompiler {
  readonly #apis = new Map<string, CompiledApi>();
  /** The names of #apis in code-point order. */
  #names: string[] = [];
  #last: CompileResult | undefined;

  /** The snapshot and problems of the last compile, if any. */
  get current(): CompileResult | undefined {
    return this.#last;
  }

  /** The revision held per API name: what the store compares against to find changes. */
  known(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [name, api] of this.#apis) out.set(name, api.revision);
    return out;
  }

  /** Forgets everything and compiles the whole state: start-up and epoch change. */
  reset(input: CompilerInput): CompileResult {
    this.#apis.clear();
    for (const api of input.apis) this.#apis.set(api.definition.name, compileApi(api));
    if (this.#apis.size !== input.apis.length) {
      // Duplicate names cannot come from the database (the name is its key); keep the reference's answer for them.
      this.#apis.clear();
      this.#names = [];
      this.#last = undefined;
      return compileSnapshot(input);
    }
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
    const added: string[] = [];
    const removed = new Set<string>();
    for (const name of change.removed) {
      if (this.#apis.delete(name)) removed.add(name);
    }
    for (const api of change.changed) {
      const name = api.definition.name;
      if (!this.#apis.has(name)) added.push(name);
      this.#apis.set(name, compileApi(api));
      removed.delete(name);
    }
    this.#updateNames(added, removed);
    return this.#build(change.version, change.epoch);
  }

  #updateNames(added: readonly string[], removed: ReadonlySet<string>): void {
    if (added.length + removed.size > RESORT_THRESHOLD) {
      this.#names = [...this.#apis.keys()].sort(compareCodePoints);
      return;
    }
    if (removed.size > 0) this.#names = this.#names.filter((name) => !removed.has(name) || this.#apis.has(name));
    for (const name of added) {
      const at = lowerBound(this.#names, name);
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

/** The first index whose name is not below `name` (binary search in code-point order). */
function lowerBound(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCodePoints(names[mid]!, name) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

