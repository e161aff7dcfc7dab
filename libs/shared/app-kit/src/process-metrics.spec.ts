import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectProcessMetrics, DROPPED_DEFAULT_METRICS } from './process-metrics.js';

describe('collectProcessMetrics', () => {
  it('keeps Node process metrics but no gauge named like a counter', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE nodejs_active_handles gauge');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    for (const name of DROPPED_DEFAULT_METRICS) expect(text).not.toContain(`${name} `);
    // The rule promtool applies: a `_total` name is a counter.
    const misnamed = [...text.matchAll(/^# TYPE (\S+_total) (\S+)$/gm)].filter((m) => m[2] !== 'counter').map((m) => m[1]);
    expect(misnamed).toEqual([]);
  });
});
