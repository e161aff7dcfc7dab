import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's default metrics that break the exposition naming rules: gauges named like
 * counters (`promtool check metrics`: "non-counter metrics should not have _total suffix").
 * Their per-type gauges stay (`nodejs_active_handles{type}` ...), so the totals are
 * `sum(nodejs_active_handles)` and so on.
 */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** Node's process metrics (CPU, memory, event loop, GC, handles) in `registry`, minus the misnamed ones. */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
}
