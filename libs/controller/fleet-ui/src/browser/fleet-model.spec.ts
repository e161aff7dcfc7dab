import { describe, expect, it } from 'vitest';
import { ago, apisCaption, configText, groupByZone, nackText, runtimeStatusText, tokenFromFragment, utc, type RuntimeView } from './fleet-model.js';

function runtime(runtimeId: string, zone: string, overrides: Partial<RuntimeView> = {}): RuntimeView {
  return {
    runtimeId,
    zone,
    controllerId: 'ctl-1',
    state: 'connected',
    connected: true,
    stale: false,
    applied: { version: 3, epoch: 1, hash: 'h' },
    inSync: true,
    lastNack: null,
    nackPending: false,
    connectedAt: '2030-01-01T00:00:00.000Z',
    lastSeenAt: '2030-01-01T00:00:00.000Z',
    disconnectedAt: null,
    buildVersion: '',
    identity: null,
    certificateNotAfter: null,
    ...overrides,
  };
}

describe('tokenFromFragment', () => {
  it('takes the token out of the fragment and keeps the rest', () => {
    expect(tokenFromFragment('#token=gwt_abc')).toEqual({ token: 'gwt_abc', rest: '' });
    expect(tokenFromFragment('#zone=a&token=s3cr%2Bt')).toEqual({ token: 's3cr+t', rest: '#zone=a' });
    expect(tokenFromFragment('')).toBeUndefined();
    expect(tokenFromFragment('#token=')).toBeUndefined();
    expect(tokenFromFragment('#other=1')).toBeUndefined();
  });
});

describe('groupByZone', () => {
  it('groups runtimes by zone in byte order and counts each state', () => {
    const groups = groupByZone([
      runtime('b1', 'b', { state: 'stale', connected: false, stale: true, inSync: false }),
      runtime('a1', 'a'),
      runtime('a2', 'a', { state: 'disconnected', connected: false, inSync: false }),
      runtime('B1', 'B'),
    ]);
    expect(groups.map((g) => [g.zone, g.runtimes.map((r) => r.runtimeId), g.counts])).toEqual([
      ['B', ['B1'], { total: 1, connected: 1, inSync: 1, stale: 0, disconnected: 0 }],
      ['a', ['a1', 'a2'], { total: 2, connected: 1, inSync: 1, stale: 0, disconnected: 1 }],
      ['b', ['b1'], { total: 1, connected: 0, inSync: 0, stale: 1, disconnected: 0 }],
    ]);
  });
});

describe('texts', () => {
  it('says the status in words, a pending NACK first', () => {
    expect(runtimeStatusText(runtime('x', 'a'))).toBe('Connected, in sync');
    expect(runtimeStatusText(runtime('x', 'a', { inSync: false }))).toBe('Connected, out of sync');
    expect(runtimeStatusText(runtime('x', 'a', { inSync: false, nackPending: true }))).toBe('Connected, refusing the latest config');
    expect(runtimeStatusText(runtime('x', 'a', { state: 'stale' }))).toBe('Stale (not heard from)');
    expect(runtimeStatusText(runtime('x', 'a', { state: 'disconnected' }))).toBe('Disconnected');
  });

  it('formats configs, NACKs and times', () => {
    expect(configText({ version: 12, epoch: 2 })).toBe('v12 · epoch 2');
    expect(configText(null)).toBe('none yet');
    const nack = { version: 8, epoch: 1, code: 'GW_SNAPSHOT_OVER_CAPACITY', message: 'too many APIs', at: '2030-01-01T00:00:00.000Z' };
    expect(nackText(nack, true)).toBe('GW_SNAPSHOT_OVER_CAPACITY for v8: too many APIs');
    expect(nackText(nack, false)).toBe('GW_SNAPSHOT_OVER_CAPACITY for v8: too many APIs (resolved)');
    expect(nackText(null, false)).toBe('—');
    const now = '2030-01-02T00:00:00.000Z';
    expect(ago('2030-01-01T23:59:55.000Z', now)).toBe('5 s ago');
    expect(ago('2030-01-01T23:57:00.000Z', now)).toBe('3 min ago');
    expect(ago('2030-01-01T22:00:00.000Z', now)).toBe('2 h ago');
    expect(ago('2029-12-29T00:00:00.000Z', now)).toBe('4 d ago');
    expect(ago('2030-01-02T00:00:09.000Z', now)).toBe('0 s ago');
    expect(utc('2030-01-01T06:50:01.123Z')).toBe('2030-01-01 06:50:01 UTC');
  });
});

describe('apisCaption', () => {
  it('gives the config version, and says when the page lists only the first APIs by name', () => {
    const item = {} as never;
    expect(apisCaption({ items: [item, item], configVersion: 7, next: null })).toBe('APIs (config version 7)');
    expect(apisCaption({ items: [item, item], configVersion: 7, next: 'YWZ0ZXI6Yg' })).toBe(
      'APIs: the first 2 by name, more are not listed here (config version 7; gatewayctl get apis lists them all)',
    );
  });
});
