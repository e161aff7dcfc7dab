import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultMaxConnections } from './connection-limit.js';
import { readRuntimeConfig } from './env.js';

const base = { CONTROLLER_ADDRESSES: '127.0.0.1:9090', CONFIG_INSECURE: 'true' };

describe('runtime env: drain and hardened-edge settings', () => {
  it('has safe defaults', () => {
    expect(readRuntimeConfig(base)).toMatchObject({
      drainGraceMs: 5_000,
      shutdownGraceMs: 5_000,
      webSocketDrainMs: 5_000,
      trustedProxyHops: 0,
      maxHeaderBytes: 16_384,
      maxUrlBytes: 8_192,
      maxBodyBytes: 10_485_760,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 65_000,
    });
  });

  it('reads every variable', () => {
    const config = readRuntimeConfig({
      ...base,
      DRAIN_GRACE_MS: '0',
      WEBSOCKET_DRAIN_MS: '250',
      TRUSTED_PROXY_HOPS: '2',
      MAX_HEADER_BYTES: '4096',
      MAX_URL_BYTES: '1024',
      MAX_BODY_BYTES: '0',
      HEADERS_TIMEOUT_MS: '500',
      REQUEST_TIMEOUT_MS: '0',
      KEEPALIVE_TIMEOUT_MS: '1000',
    });
    expect(config).toMatchObject({
      drainGraceMs: 0,
      webSocketDrainMs: 250,
      trustedProxyHops: 2,
      maxHeaderBytes: 4_096,
      maxUrlBytes: 1_024,
      maxBodyBytes: 0,
      headersTimeoutMs: 500,
      requestTimeoutMs: 0,
      keepAliveTimeoutMs: 1_000,
    });
  });

  it('refuses settings that contradict each other or make no sense', () => {
    expect(() => readRuntimeConfig({ ...base, MAX_URL_BYTES: '16384' })).toThrow(/MAX_URL_BYTES .* must be below MAX_HEADER_BYTES/);
    expect(() => readRuntimeConfig({ ...base, HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '1000' })).toThrow(/REQUEST_TIMEOUT_MS/);
    expect(() => readRuntimeConfig({ ...base, TRUSTED_PROXY_HOPS: '-1' })).toThrow(/TRUSTED_PROXY_HOPS/);
    expect(() => readRuntimeConfig({ ...base, MAX_HEADER_BYTES: '100' })).toThrow(/MAX_HEADER_BYTES/);
    expect(() => readRuntimeConfig({ ...base, DRAIN_GRACE_MS: 'soon' })).toThrow(/DRAIN_GRACE_MS/);
  });
});

describe('runtime env: slow clients and overload', () => {
  it('has the documented defaults, MAX_CONNECTIONS derived from the descriptor limit', () => {
    expect(readRuntimeConfig(base)).toMatchObject({
      clientBodyTimeoutMs: 60_000,
      clientSendTimeoutMs: 60_000,
      bufferMemoryBytes: 256 * 1024 * 1024,
      bufferConnectionBytes: 48 * 1024,
      requestBufferBytes: 1024 * 1024,
      responseBufferBytes: 1024 * 1024,
      bufferDiskBytes: 1024 * 1024 * 1024,
      responseDiskBytes: 64 * 1024 * 1024,
      bufferDir: tmpdir(),
      maxConnections: defaultMaxConnections(),
      maxConnectionsPerAddress: Math.floor(defaultMaxConnections() * 0.9),
    });
    expect(readRuntimeConfig({ ...base, MAX_CONNECTIONS: '1000' }).maxConnectionsPerAddress).toBe(900);
    expect(readRuntimeConfig({ ...base, MAX_CONNECTIONS: '1000', MAX_CONNECTIONS_PER_ADDRESS: '10' }).maxConnectionsPerAddress).toBe(10);
  });

  it('reads every variable; 0 turns each off', () => {
    expect(
      readRuntimeConfig({
        ...base,
        CLIENT_BODY_TIMEOUT_MS: '0',
        CLIENT_SEND_TIMEOUT_MS: '500',
        BUFFER_MEMORY_BYTES: '1000',
        BUFFER_CONNECTION_BYTES: '0',
        REQUEST_BUFFER_BYTES: '0',
        RESPONSE_BUFFER_BYTES: '10',
        BUFFER_DISK_BYTES: '0',
        RESPONSE_DISK_BYTES: '2048',
        BUFFER_DIR: '/var/tmp/gw',
        MAX_CONNECTIONS: '0',
        MAX_CONNECTIONS_PER_ADDRESS: '0',
      }),
    ).toMatchObject({ maxConnectionsPerAddress: 0, clientBodyTimeoutMs: 0, clientSendTimeoutMs: 500, bufferMemoryBytes: 1000, bufferConnectionBytes: 0, requestBufferBytes: 0, responseBufferBytes: 10, bufferDiskBytes: 0, responseDiskBytes: 2048, bufferDir: '/var/tmp/gw', maxConnections: 0 });
    expect(() => readRuntimeConfig({ ...base, MAX_CONNECTIONS: '-1' })).toThrow(/MAX_CONNECTIONS/);
    expect(() => readRuntimeConfig({ ...base, MAX_CONNECTIONS_PER_ADDRESS: 'many' })).toThrow(/MAX_CONNECTIONS_PER_ADDRESS/);
  });
});

describe('runtime env: header names with "_"', () => {
  it('drops them by default; ALLOW_UNDERSCORES_IN_HEADERS=true keeps them; anything else is refused', () => {
    expect(readRuntimeConfig(base).allowUnderscoresInHeaders).toBe(false);
    expect(readRuntimeConfig({ ...base, ALLOW_UNDERSCORES_IN_HEADERS: 'true' }).allowUnderscoresInHeaders).toBe(true);
    expect(() => readRuntimeConfig({ ...base, ALLOW_UNDERSCORES_IN_HEADERS: 'yes' })).toThrow(/ALLOW_UNDERSCORES_IN_HEADERS/);
  });
});
