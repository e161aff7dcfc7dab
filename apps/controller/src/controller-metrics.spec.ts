import type { RuntimeSession } from '@gw/config-server';
import { describe, expect, it } from 'vitest';
import { metricSample } from '@gw/test-kit';
import { ControllerMetrics, EVENT_LOOP_DELAY_METRICS, nackCodeLabel } from './controller-metrics.js';

function session(zone: string, code?: string): RuntimeSession {
  return {
    streamId: 1,
    runtimeId: 'rt-secret-id',
    zone,
    buildVersion: '',
    peer: '',
    connectedAt: new Date(),
    applied: { version: 1, epoch: 1, hash: 'h' },
    lastNack: code ? { version: 2, epoch: 1, code, message: 'm', at: new Date() } : undefined,
    lastSeenAt: new Date(),
  };
}

describe('ControllerMetrics', () => {
  it('counts stream events by low-cardinality labels only and reads gauges at scrape time', async () => {
    const sessions = [session('a'), session('a'), session('b')];
    let snapshot: { version: number; epoch: number } | undefined;
    const m = new ControllerMetrics({ sessions: () => sessions, fleetPending: () => 4, snapshot: () => snapshot });
    const cb = m.callbacks;
    cb.onStreamOpen!(sessions[0]!);
    cb.onResponseSent!(sessions[0]!, { version: 1, epoch: 1, hash: 'h', nonce: 'n' });
    cb.onAck!(sessions[0]!);
    cb.onNack!(session('a', 'GW_SNAPSHOT_OVER_CAPACITY'));
    cb.onNack!(session('a', 'anything a peer sends'));
    m.changeFeedVersion(9);
    m.compiled(2, true);
    m.compiled(1, false);
    m.compiled(1, false);
    m.refreshFailed();
    m.fleetWrite(true);
    m.fleetWrite(false);
    let text = (await m.render()).body;
    expect(metricSample(text, 'gateway_controller_config_version')).toBe(-1);
    snapshot = { version: 9, epoch: 3 };
    text = (await m.render()).body;
    expect(metricSample(text, 'gateway_controller_config_version')).toBe(9);
    expect(metricSample(text, 'gateway_controller_config_epoch')).toBe(3);
    expect(metricSample(text, 'gateway_controller_runtime_streams', { zone: 'a' })).toBe(2);
    expect(metricSample(text, 'gateway_controller_runtime_streams', { zone: 'b' })).toBe(1);
    expect(metricSample(text, 'gateway_controller_runtime_stream_opens_total')).toBe(1);
    expect(metricSample(text, 'gateway_controller_config_responses_total')).toBe(1);
    expect(metricSample(text, 'gateway_controller_config_acks_total')).toBe(1);
    expect(metricSample(text, 'gateway_controller_config_nacks_total', { code: 'GW_SNAPSHOT_OVER_CAPACITY' })).toBe(1);
    expect(metricSample(text, 'gateway_controller_config_nacks_total', { code: 'other' })).toBe(1);
    expect(metricSample(text, 'gateway_controller_change_feed_version')).toBe(9);
    expect(metricSample(text, 'gateway_controller_change_feed_versions_total')).toBe(1);
    expect(metricSample(text, 'gateway_controller_snapshot_compiles_total', { mode: 'full' })).toBe(1);
    expect(metricSample(text, 'gateway_controller_snapshot_compiles_total', { mode: 'incremental' })).toBe(2);
    expect(metricSample(text, 'gateway_controller_snapshot_compile_duration_seconds_count', { mode: 'full' })).toBe(1);
    expect(metricSample(text, 'gateway_controller_snapshot_compile_duration_seconds_count', { mode: 'incremental' })).toBe(2);
    expect(metricSample(text, 'gateway_controller_snapshot_refresh_errors_total')).toBe(1);
    expect(metricSample(text, 'gateway_controller_fleet_status_pending')).toBe(4);
    expect(metricSample(text, 'gateway_controller_fleet_status_writes_total', { result: 'ok' })).toBe(1);
    expect(metricSample(text, 'gateway_controller_fleet_status_writes_total', { result: 'error' })).toBe(1);
    expect(text).not.toContain('rt-secret-id');

    sessions.splice(0, 2);
    text = (await m.render()).body;
    expect(metricSample(text, 'gateway_controller_runtime_streams', { zone: 'a' })).toBeUndefined();
  });

  it('exposes the event-loop delay since the previous scrape: a blocked loop shows in that window only', async () => {
    const m = new ControllerMetrics({ sessions: () => [], fleetPending: () => 0, snapshot: () => undefined });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const read = (text: string, key: keyof typeof EVENT_LOOP_DELAY_METRICS) => metricSample(text, EVENT_LOOP_DELAY_METRICS[key]);
    await m.render(); // opens a window
    // The monitor's first tick after a reset records nothing (it has no previous tick): let it pass before blocking.
    await sleep(40);
    const blockMs = 300;
    const until = performance.now() + blockMs;
    while (performance.now() < until) {
      // A fan-out that never yields.
    }
    await sleep(40); // the delayed tick is recorded
    const blocked = (await m.render()).body;
    for (const key of Object.keys(EVENT_LOOP_DELAY_METRICS) as (keyof typeof EVENT_LOOP_DELAY_METRICS)[]) expect(read(blocked, key), key).toBeGreaterThan(0);
    expect(read(blocked, 'max')!).toBeGreaterThanOrEqual((blockMs - 10) / 1000);
    // The next window starts at that scrape: 40 ms of an idle loop cannot show a 300 ms delay.
    await sleep(40);
    const after = (await m.render()).body;
    expect(read(after, 'max')!).toBeLessThan(read(blocked, 'max')!);
  });

  it('maps codes outside the catalogue to "other"', () => {
    expect(nackCodeLabel('GW_SNAPSHOT_INVALID')).toBe('GW_SNAPSHOT_INVALID');
    expect(nackCodeLabel('x'.repeat(1000))).toBe('other');
  });
});
