import type { RuntimeSession } from '@gw/config-server';
import { describe, expect, it } from 'vitest';
import { metricSample } from '@gw/test-kit';
import { ControllerMetrics, nackCodeLabel } from './controller-metrics.js';

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

  it('maps codes outside the catalogue to "other"', () => {
    expect(nackCodeLabel('GW_SNAPSHOT_INVALID')).toBe('GW_SNAPSHOT_INVALID');
    expect(nackCodeLabel('x'.repeat(1000))).toBe('other');
  });
});
