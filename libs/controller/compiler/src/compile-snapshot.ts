import { ClaimRegistry, describeClaim, routeClaims, validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { apiResource, buildSnapshot, type ConfigResource, type ConfigSnapshot } from '@gw/config-contract';

/** One stored API: its definition and the revision the store gave it. */
export interface DesiredApi {
  readonly definition: ApiDefinition;
  readonly revision: number;
}

export interface CompilerInput {
  version: number;
  epoch: number;
  apis: readonly DesiredApi[];
}

/** An API left out of the snapshot, and why. Config problems are data, not exceptions. */
export interface CompileProblem {
  api: string;
  message: string;
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
 * shape the runtime validates and runs (no second model in between). Stored definitions
 * pass the current schema again, so a row written before a field existed gets that
 * field's default, and one that is no longer valid is left out with a problem.
 *
 * When two APIs claim the same host + base path (the route-claim rule of the API schema),
 * the one whose name sorts first keeps the route and the other is left out with a
 * problem, like Traefik's disabled routers: one bad definition never takes the rest of
 * the fleet's config down with it.
 */
export function compileSnapshot(input: CompilerInput): CompileResult {
  const sorted = [...input.apis].sort((a, b) => compareCodePoints(a.definition.name, b.definition.name));
  const resources: ConfigResource[] = [];
  const problems: CompileProblem[] = [];
  const claims = new ClaimRegistry();
  let previousName: string | undefined;
  for (const { definition, revision } of sorted) {
    const name = definition.name;
    if (name === previousName) {
      problems.push({ api: name, message: 'duplicate API name in the desired state' });
      continue;
    }
    previousName = name;
    const checked = validateApiDefinition(definition, { expectedName: name });
    if (!checked.ok) {
      const first = checked.problems[0];
      problems.push({ api: name, message: `stored definition is invalid: ${first?.path || '(body)'} ${first?.message ?? ''}`.trimEnd() });
      continue;
    }
    const taken = claims.take(name, routeClaims(checked.value));
    if (taken !== undefined) {
      problems.push({ api: name, message: `route ${describeClaim(taken.claim)} is already served by API "${taken.owner}"` });
      continue;
    }
    resources.push(apiResource(checked.value, revision));
  }
  return { snapshot: buildSnapshot(input.version, input.epoch, resources), problems };
}

/** Locale-independent ordering: `localeCompare` may differ between ICU builds. */
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
