import { describe, expect, it } from 'vitest';
import { metricSample } from '@gw/test-kit';
import { RuntimeMetrics } from './runtime-metrics.js';

describe('RuntimeMetrics', () => {
  it('reports the applied config, applies, NACKs by code, apply latency and the controller stream', async () => {
    let applied: { version: number; epoch: number } | undefined;
    const controller = { connected: false, connects: 0 };
    const m = new RuntimeMetrics({ applied: () => applied, controller: () => controller });
    let text = (await m.render()).body;
    expect(metricSample(text, 'gateway_runtime_config_version')).toBe(-1);
    expect(metricSample(text, 'gateway_runtime_controller_connected')).toBe(0);

    applied = { version: 7, epoch: 2 };
    controller.connected = true;
    controller.connects = 3;
    m.applied(12);
    m.applied(3);
    m.rejected('GW_SNAPSHOT_OVER_CAPACITY');
    m.rejected('made-up code from nowhere');
    text = (await m.render()).body;
    expect(metricSample(text, 'gateway_runtime_config_version')).toBe(7);
    expect(metricSample(text, 'gateway_runtime_config_epoch')).toBe(2);
    expect(metricSample(text, 'gateway_runtime_config_applies_total')).toBe(2);
    expect(metricSample(text, 'gateway_runtime_config_nacks_total', { code: 'GW_SNAPSHOT_OVER_CAPACITY' })).toBe(1);
    expect(metricSample(text, 'gateway_runtime_config_nacks_total', { code: 'other' })).toBe(1);
    expect(metricSample(text, 'gateway_runtime_config_apply_duration_seconds_count')).toBe(2);
    expect(metricSample(text, 'gateway_runtime_config_apply_duration_seconds_bucket', { le: '0.005' })).toBe(1);
    expect(metricSample(text, 'gateway_runtime_controller_connected')).toBe(1);
    expect(metricSample(text, 'gateway_runtime_controller_connects_total')).toBe(3);

    // The connects counter follows the client's count without double counting across scrapes.
    controller.connects = 4;
    text = (await m.render()).body;
    expect(metricSample(text, 'gateway_runtime_controller_connects_total')).toBe(4);
    expect(metricSample(text, 'gateway_runtime_controller_connects_total')).toBe(4);
  });

  it('keeps its own registry: two instances do not collide', async () => {
    const a = new RuntimeMetrics({ applied: () => ({ version: 1, epoch: 1 }), controller: () => ({ connected: true, connects: 1 }) });
    const b = new RuntimeMetrics({ applied: () => ({ version: 2, epoch: 1 }), controller: () => ({ connected: true, connects: 1 }) });
    expect(metricSample((await a.render()).body, 'gateway_runtime_config_version')).toBe(1);
    expect(metricSample((await b.render()).body, 'gateway_runtime_config_version')).toBe(2);
    expect((await a.render()).contentType).toMatch(/^text\/plain/);
  });
});
