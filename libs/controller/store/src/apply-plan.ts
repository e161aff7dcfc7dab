import { ANY_HOST, claimKey, definitionsEqual, describeClaim, routeClaims, type ApiDefinition, type FieldProblem } from '@gw/api-schema';

/** What an apply does to one API. */
export type ApplyAction = 'create' | 'update' | 'delete' | 'unchanged';

export interface PlannedChange {
  name: string;
  action: ApplyAction;
  /** The stored definition (update, delete, unchanged). */
  before?: ApiDefinition;
  /** The applied definition (create, update, unchanged). */
  after?: ApiDefinition;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Pure: what applying `desired` (names unique, every definition valid) to the stored
 * `current` APIs changes, sorted by name. An API equal to the stored one as a JSON value
 * is `unchanged`, so re-applying a set, or applying an export, changes nothing. Stored
 * APIs missing from the set are deleted with `prune`, left alone (and not listed) without.
 */
export function planApply(current: readonly ApiDefinition[], desired: readonly ApiDefinition[], prune: boolean): PlannedChange[] {
  const stored = new Map(current.map((d) => [d.name, d]));
  const wanted = new Set(desired.map((d) => d.name));
  const plan: PlannedChange[] = desired.map((after) => {
    const before = stored.get(after.name);
    if (before === undefined) return { name: after.name, action: 'create', after };
    return { name: after.name, action: definitionsEqual(before, after) ? 'unchanged' : 'update', before, after };
  });
  if (prune) for (const before of current) if (!wanted.has(before.name)) plan.push({ name: before.name, action: 'delete', before });
  return plan.sort(byName);
}

/** Where a claim of `/apis/<index>` sits: the host that collides, or the base path for an any-host API. */
function claimPointer(api: ApiDefinition, index: number, host: string): string {
  return host === ANY_HOST ? `/apis/${index}/basePath` : `/apis/${index}/hosts/${api.hosts.indexOf(host)}`;
}

/**
 * Pure: the route conflicts an apply would create, as field problems at JSON Pointers into
 * the request (`/apis/4/hosts/0`), each naming both APIs: within the set (the later one
 * is reported, naming the earlier) and against the stored APIs that stay (`staying`: not
 * in the set, and not pruned). Same claim rule as every write (`routeClaims`).
 */
export function findApplyConflicts(desired: readonly ApiDefinition[], staying: readonly ApiDefinition[]): FieldProblem[] {
  const owners = new Map<string, string>();
  for (const api of staying) for (const claim of routeClaims(api)) owners.set(claimKey(claim), `API "${api.name}"`);
  const problems: FieldProblem[] = [];
  desired.forEach((api, index) => {
    for (const claim of routeClaims(api)) {
      const key = claimKey(claim);
      const owner = owners.get(key);
      if (owner === undefined) owners.set(key, `API "${api.name}" (/apis/${index})`);
      else problems.push({ path: claimPointer(api, index, claim.host), message: `${describeClaim(claim)} is already claimed by ${owner}` });
    }
  });
  return problems;
}
