/**
 * Connections of the fleet-status pool, on top of DB_POOL_MAX: one for a small deploy pool,
 * two from DB_POOL_MAX >= 10. One batched write per interval (FLEET_FLUSH_INTERVAL_MS) plus
 * NACK recalls on stream open and the controller heartbeat never need more; a bounded
 * share means the deploy API keeps all DB_POOL_MAX connections whatever the fleet does.
 */
export function fleetPoolMax(dbPoolMax: number): number {
  return dbPoolMax >= 10 ? 2 : 1;
}
