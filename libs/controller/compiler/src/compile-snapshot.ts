import { buildSnapshot, type ConfigSnapshot } from '@gw/config-contract';
import { compareCodePoints, compileApi, resolveClaims, type CompiledApi, type CompileProblem, type DesiredApi } from './compile-api.js';

export interface CompilerInput {
  version: number;
  epoch: number;
  apis: readonly DesiredApi[];
}

export interface CompileResult {
  snapshot: ConfigSnapshot;
  problems: CompileProblem[];
}

/**
 * The desired state → the config snapshot the runtimes consume. Pure and deterministic:
 * the output depends only on the input's values, never on its order, so every replica
 * reading the same database state produces the same resources and state hash.
 *
 * Each API becomes one resource: its definition as the schema normalizes it, the exact
 * shape the runtime validates and runs (no second model in between); see compileApi for
 * stored definitions that no longer pass the schema and resolveClaims for two APIs on
 * one route.
 *
 * This whole-state compile is the reference: the incremental compiler
 * (incremental-compiler.ts) must give byte-identical snapshots, and it starts from this
 * path on start-up and on an epoch change.
 */
export function compileSnapshot(input: CompilerInput): CompileResult {
  const sorted = [...input.apis].sort((a, b) => compareCodePoints(a.definition.name, b.definition.name));
  const compiled: CompiledApi[] = [];
  let previousName: string | undefined;
  for (const api of sorted) {
    const name = api.definition.name;
    if (name === previousName) {
      compiled.push({ ok: false, name, revision: api.revision, problem: 'duplicate API name in the desired state' });
      continue;
    }
    previousName = name;
    compiled.push(compileApi(api));
  }
  const { resources, problems } = resolveClaims(compiled);
  return { snapshot: buildSnapshot(input.version, input.epoch, resources), problems };
}
