// The runtime's controller settings: zone-tagged CONTROLLER_ADDRESSES, keepalive, moving back, stream mode.
import { describe, expect, it } from 'vitest';
import { readRuntimeConfig } from './env.js';

const read = (env: Record<string, string>) => readRuntimeConfig({ CONTROLLER_ADDRESSES: '127.0.0.1:9090', CONFIG_INSECURE: 'true', ...env });

describe('runtime env: controllers', () => {
  it('reads zone-tagged and plain addresses', () => {
    expect(read({ CONTROLLER_ADDRESSES: 'a=10.0.1.5:9090, b=10.0.2.5:9090,ctl:9090' }).controllerAddresses).toEqual([
      { address: '10.0.1.5:9090', zone: 'a' },
      { address: '10.0.2.5:9090', zone: 'b' },
      { address: 'ctl:9090', zone: undefined },
    ]);
  });

  it('refuses a missing or malformed list with GW_CONFIG_ENV naming the entry', () => {
    expect(() => readRuntimeConfig({})).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV', message: expect.stringContaining('CONTROLLER_ADDRESSES is required') }));
    expect(() => read({ CONTROLLER_ADDRESSES: ' , ' })).toThrow(/CONTROLLER_ADDRESSES: no controller address given/);
    expect(() => read({ CONTROLLER_ADDRESSES: 'a=ctl' })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV', message: expect.stringContaining('"a=ctl"') }));
  });

  it('defaults keepalive to 3000 + 2000 ms and moving back to 30 s', () => {
    expect(read({})).toMatchObject({ controllerKeepaliveMs: 3_000, controllerKeepaliveTimeoutMs: 2_000, controllerPreferredRetryMs: 30_000 });
  });

  it('bounds keepalive (controllers refuse pings faster than 1 s) and the retry interval (0 or ≥ 1 s)', () => {
    expect(read({ CONTROLLER_KEEPALIVE_MS: '1000', CONTROLLER_KEEPALIVE_TIMEOUT_MS: '500', CONTROLLER_PREFERRED_RETRY_MS: '0' })).toMatchObject({
      controllerKeepaliveMs: 1_000,
      controllerKeepaliveTimeoutMs: 500,
      controllerPreferredRetryMs: 0,
    });
    expect(() => read({ CONTROLLER_KEEPALIVE_MS: '999' })).toThrow(/CONTROLLER_KEEPALIVE_MS/);
    expect(() => read({ CONTROLLER_KEEPALIVE_TIMEOUT_MS: 'soon' })).toThrow(/CONTROLLER_KEEPALIVE_TIMEOUT_MS/);
    expect(() => read({ CONTROLLER_PREFERRED_RETRY_MS: '500' })).toThrow(/CONTROLLER_PREFERRED_RETRY_MS must be 0 \(off\) or at least 1000/);
  });

  it('streams deltas unless CONFIG_STREAM_MODE=full, and refuses any other mode', () => {
    expect(read({}).configStreamMode).toBe('delta');
    expect(read({ CONFIG_STREAM_MODE: 'full' }).configStreamMode).toBe('full');
    expect(() => read({ CONFIG_STREAM_MODE: 'incremental' })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV', message: expect.stringContaining('CONFIG_STREAM_MODE') }));
  });
});
