import { describe, expect, it } from 'vitest';
import type { TlsMaterialInfo } from '@gw/grpc-tls';
import { settleRuntimeId } from './controller-tls.js';
import { readRuntimeConfig } from './env.js';

const base = { CONTROLLER_ADDRESSES: '127.0.0.1:9090' };
const files = { CONTROLLER_TLS_CA_FILE: '/tls/ca.crt', CONTROLLER_TLS_CERT_FILE: '/tls/rt.crt', CONTROLLER_TLS_KEY_FILE: '/tls/rt.key' };
const cert = (subjectAltName: string): TlsMaterialInfo => ({ subjectAltName, certificateNotAfter: new Date(0), caNotAfter: new Date(0), fingerprint256: '' });

describe('runtime env: mutual TLS towards controllers', () => {
  it('reads the files and the server name; the id is left to the certificate', () => {
    const config = readRuntimeConfig({ ...base, ...files, CONTROLLER_TLS_SERVER_NAME: 'controller.gateway.svc' });
    expect(config).toMatchObject({
      controllerTls: { caFile: '/tls/ca.crt', certFile: '/tls/rt.crt', keyFile: '/tls/rt.key' },
      controllerTlsServerName: 'controller.gateway.svc',
      runtimeId: undefined,
    });
  });

  it('refuses to start without them unless CONFIG_INSECURE=true (then RUNTIME_ID defaults to the host name)', () => {
    expect(() => readRuntimeConfig(base)).toThrow(/CONTROLLER_TLS_CA_FILE, CONTROLLER_TLS_CERT_FILE, CONTROLLER_TLS_KEY_FILE are required .*set CONFIG_INSECURE=true/);
    const insecure = readRuntimeConfig({ ...base, CONFIG_INSECURE: 'true' });
    expect(insecure.controllerTls).toBeUndefined();
    expect(insecure.runtimeId).toEqual(expect.any(String));
    expect(() => readRuntimeConfig({ ...base, CONTROLLER_TLS_CA_FILE: '/tls/ca.crt' })).toThrow('CONTROLLER_TLS_CERT_FILE, CONTROLLER_TLS_KEY_FILE are required with CONTROLLER_TLS_CA_FILE');
    expect(() => readRuntimeConfig({ ...base, ...files, CONFIG_INSECURE: 'true' })).toThrow(/CONFIG_INSECURE=true contradicts/);
  });
});

describe('settleRuntimeId', () => {
  const good = cert('DNS:rt-9.example, URI:spiffe://gateway/runtime/rt-9');

  it('takes the id from the certificate SPIFFE URI (not its DNS name or CN)', () => {
    expect(settleRuntimeId(undefined, good)).toBe('rt-9');
    expect(settleRuntimeId('rt-9', good)).toBe('rt-9');
  });

  it('refuses a RUNTIME_ID that differs from the certificate', () => {
    expect(() => settleRuntimeId('rt-1', good)).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV', message: expect.stringContaining('RUNTIME_ID "rt-1" differs') }));
  });

  it('refuses a certificate without exactly one runtime identity', () => {
    expect(() => settleRuntimeId(undefined, cert('DNS:rt-9'))).toThrow(/names no runtime identity/);
    expect(() => settleRuntimeId(undefined, cert('URI:spiffe://gateway/controller/c1'))).toThrow(/names no runtime identity/);
    expect(() => settleRuntimeId(undefined, cert('URI:spiffe://gateway/runtime/a, URI:spiffe://gateway/runtime/b'))).toThrow(/names no runtime identity/);
  });

  it('insecure: RUNTIME_ID as given', () => {
    expect(settleRuntimeId('host-1', undefined)).toBe('host-1');
  });
});
