import type { ApiDefinition } from './api-definition.schema.js';
import type { FieldProblem } from './field-problems.js';

/**
 * The route-claim rule, written once and used by the store (a write that takes another
 * API's route is refused), the compiler (a stored conflict is left out) and the runtime's
 * routing table (which refuses to build with one).
 *
 * An API claims each of its hosts with its base path, or, with no hosts, "any host" with
 * its base path. Two claims collide when host and base path are the same (the same exact
 * host, the same wildcard pattern, or both any host). A wildcard and an exact host it
 * covers (`*.x.com`, `a.x.com`) do not collide: the exact host is more specific and wins.
 */

/** How "any host" is spelled in a claim. Hosts are never empty, so it cannot collide with one. */
export const ANY_HOST = '';

export interface RouteClaim {
  /** A lower-case host pattern, or ANY_HOST. */
  readonly host: string;
  readonly basePath: string;
}

type Claimant = Pick<ApiDefinition, 'hosts' | 'basePath'>;

/** The claims of one API. */
export function routeClaims(api: Claimant): RouteClaim[] {
  return api.hosts.length === 0 ? [{ host: ANY_HOST, basePath: api.basePath }] : api.hosts.map((host) => ({ host, basePath: api.basePath }));
}

/** A claim as one string, for maps of claims. */
export function claimKey(claim: RouteClaim): string {
  return `${claim.host} ${claim.basePath}`;
}

/** How a claim reads in messages: `api.example.com/orders`, `any host/orders`. */
export function describeClaim(claim: RouteClaim): string {
  return `${claim.host === ANY_HOST ? 'any host' : claim.host}${claim.basePath}`;
}

/** One host + base path that a definition claims and another API already serves. */
export interface RouteConflict {
  /** The host pattern both claim, or `null` when both serve any host. */
  host: string | null;
  basePath: string;
  /** The API that owns the route now. */
  api: string;
}

/**
 * The routes `definition` would take from `others`. An API with the same name in
 * `others` is the one being replaced and is skipped. Deterministic: sorted by API name,
 * then host.
 */
export function findRouteConflicts(definition: ApiDefinition, others: readonly (Claimant & { name: string })[]): RouteConflict[] {
  const mine = new Set(routeClaims(definition).map(claimKey));
  const conflicts: RouteConflict[] = [];
  for (const other of others) {
    if (other.name === definition.name) continue;
    for (const claim of routeClaims(other)) {
      if (mine.has(claimKey(claim))) conflicts.push({ host: claim.host === ANY_HOST ? null : claim.host, basePath: claim.basePath, api: other.name });
    }
  }
  return conflicts.sort((a, b) => compare(a.api, b.api) || compare(a.host ?? '', b.host ?? ''));
}

/** One line naming the first conflict, for the deploy API's problem detail. */
export function describeRouteConflict(definition: ApiDefinition, conflicts: readonly RouteConflict[]): string {
  const first = conflicts[0];
  if (first === undefined) return '';
  const where = describeClaim({ host: first.host ?? ANY_HOST, basePath: first.basePath });
  const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more conflict${conflicts.length > 2 ? 's' : ''})` : '';
  return `API "${definition.name}" claims ${where}, which API "${first.api}" already serves${more}; change its hosts or basePath, or change or delete "${first.api}" first.`;
}

/** One field problem per conflict, at the host that collides (`hosts[1]`) or at `basePath` for an any-host API. */
export function routeConflictProblems(definition: ApiDefinition, conflicts: readonly RouteConflict[]): FieldProblem[] {
  return conflicts.map((c) =>
    c.host === null
      ? { path: 'basePath', message: `any host${c.basePath} is already served by API "${c.api}"` }
      : { path: `hosts[${definition.hosts.indexOf(c.host)}]`, message: `${c.host}${c.basePath} is already served by API "${c.api}"` },
  );
}

/**
 * Claims taken one API at a time, first come first served: the compiler feeds APIs in
 * name order and leaves out one whose claim is taken; the routing table refuses to build.
 */
export class ClaimRegistry {
  readonly #owners = new Map<string, string>();

  /** The API that already holds one of these claims, or `undefined` (then the claims are taken for `api`). */
  take(api: string, claims: readonly RouteClaim[]): { owner: string; claim: RouteClaim } | undefined {
    for (const claim of claims) {
      const owner = this.#owners.get(claimKey(claim));
      if (owner !== undefined) return { owner, claim };
    }
    for (const claim of claims) this.#owners.set(claimKey(claim), api);
    return undefined;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
