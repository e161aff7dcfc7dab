import { describeRouteConflict, findRouteConflicts, routeConflictProblems, type ApiDefinition } from '@gw/api-schema';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { sql } from 'kysely';
import type { Executor } from './api.repository.js';

/**
 * Refuses a write whose hosts + base path another API already serves (GW_ROUTE_CONFLICT).
 * Runs inside the write transaction after the config_state row lock is taken: writers
 * are serialized by that lock, so no other write can claim the same route between this
 * check and the commit. Only APIs with the same base path can conflict, so the database
 * hands over just those; `findRouteConflicts` decides.
 */
export async function assertNoRouteConflict(trx: Executor, definition: ApiDefinition): Promise<void> {
  assertNoRouteConflictWith(definition, await routeNeighbours(trx, definition.basePath));
}

/** The stored APIs with this base path: the only ones a definition with it can conflict with. */
export async function routeNeighbours(db: Executor, basePath: string): Promise<ApiDefinition[]> {
  const rows = await db.selectFrom('apis').select('definition').where(sql<string>`definition->>'basePath'`, '=', basePath).execute();
  return rows.map((r) => r.definition);
}

/** The decision alone: refuses `definition` if it claims a route one of `neighbours` (APIs with its base path) serves. */
export function assertNoRouteConflictWith(definition: ApiDefinition, neighbours: readonly ApiDefinition[]): void {
  const conflicts = findRouteConflicts(definition, neighbours); // it skips the API itself
  if (conflicts.length === 0) return;
  throw new GatewayError(ErrorCodes.GW_ROUTE_CONFLICT, describeRouteConflict(definition, conflicts), {
    // `errors` becomes the problem document's field list: one entry per colliding host.
    details: { name: definition.name, conflicts, errors: routeConflictProblems(definition, conflicts) },
  });
}
