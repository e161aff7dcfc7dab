import type { ApiDefinition } from './api-definition.js';
import type { FieldProblem } from './field-checks.js';

/** One host + base path that `definition` claims and another API already serves. */
export interface RouteConflict {
  /** The host pattern both claim (`api.example.com`, `*.example.com`), or `null` when both serve any host. */
  host: string | null;
  basePath: string;
  /** The API that owns the route now. */
  api: string;
}

/**
 * The routes `definition` would take from other APIs: the same exact host (or the same
 * wildcard pattern), or both any-host, with the same base path. Different hosts never
 * conflict, and neither does a wildcard with an exact host it covers (`*.x.com` and
 * `a.x.com`): the exact host is more specific and wins at the runtime. An API with the
 * same name in `others` is the one being replaced and is skipped.
 *
 * Pure and deterministic: conflicts come sorted by API name, then host. The deploy API
 * runs it inside the write transaction against every other stored definition; the
 * compiler's own claim check stays as the second line of defence.
 */
export function findRouteConflicts(definition: ApiDefinition, others: readonly ApiDefinition[]): RouteConflict[] {
  const claims = new Set(claimKeys(definition));
  const conflicts: RouteConflict[] = [];
  for (const other of others) {
    if (other.name === definition.name || other.basePath !== definition.basePath) continue;
    for (const key of claimKeys(other)) {
      if (claims.has(key)) conflicts.push({ host: key === ANY_HOST ? null : key, basePath: definition.basePath, api: other.name });
    }
  }
  return conflicts.sort((a, b) => compare(a.api, b.api) || compare(a.host ?? '', b.host ?? ''));
}

/** One line naming the first conflict, for the deploy API's problem detail. */
export function describeRouteConflict(definition: ApiDefinition, conflicts: readonly RouteConflict[]): string {
  const first = conflicts[0];
  if (first === undefined) return '';
  const where = first.host === null ? `any host${first.basePath}` : `${first.host}${first.basePath}`;
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

/** Hosts are stored lower-case and never empty, so `''` is free to stand for "any host". */
const ANY_HOST = '';

function claimKeys(def: ApiDefinition): readonly string[] {
  return def.hosts.length === 0 ? [ANY_HOST] : def.hosts;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
