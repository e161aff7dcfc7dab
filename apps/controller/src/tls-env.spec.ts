import { describe, expect, it } from 'vitest';
import { readControllerConfig } from './env.js';

// The deploy API's bootstrap token is set so each case sees only the TLS problems it is about.
const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db', ADMIN_TOKEN: 'bootstrap' };
const files = { CONFIG_TLS_CERT_FILE: '/tls/ctl.crt', CONFIG_TLS_KEY_FILE: '/tls/ctl.key', CONFIG_TLS_CLIENT_CA_FILE: '/tls/ca.crt' };

describe('controller env: mutual TLS on the config stream', () => {
  it('reads the three files', () => {
    expect(readControllerConfig({ ...base, ...files }).configTls).toEqual({ certFile: '/tls/ctl.crt', keyFile: '/tls/ctl.key', caFile: '/tls/ca.crt' });
  });

  it('refuses to start without them, naming the variables and the opt-out', () => {
    expect(() => readControllerConfig(base)).toThrow(
      expect.objectContaining({ code: 'GW_CONFIG_ENV', message: expect.stringMatching(/^CONFIG_TLS_CERT_FILE, CONFIG_TLS_KEY_FILE, CONFIG_TLS_CLIENT_CA_FILE are required .*set CONFIG_INSECURE=true/) }),
    );
  });

  it('runs without TLS only with CONFIG_INSECURE=true', () => {
    expect(readControllerConfig({ ...base, CONFIG_INSECURE: 'true' }).configTls).toBeUndefined();
    expect(() => readControllerConfig({ ...base, CONFIG_INSECURE: 'yes' })).toThrow(/CONFIG_INSECURE must be "false" or "true"/);
  });

  it('names the missing files of a partial set', () => {
    expect(() => readControllerConfig({ ...base, CONFIG_TLS_CERT_FILE: '/tls/ctl.crt' })).toThrow(
      'CONFIG_TLS_KEY_FILE, CONFIG_TLS_CLIENT_CA_FILE are required with CONFIG_TLS_CERT_FILE',
    );
    expect(() => readControllerConfig({ ...base, CONFIG_TLS_CERT_FILE: '/a', CONFIG_TLS_KEY_FILE: '/b' })).toThrow('CONFIG_TLS_CLIENT_CA_FILE is required with');
  });

  it('refuses TLS files next to CONFIG_INSECURE=true as contradictory', () => {
    expect(() => readControllerConfig({ ...base, ...files, CONFIG_INSECURE: 'true' })).toThrow(/CONFIG_INSECURE=true contradicts CONFIG_TLS_CERT_FILE/);
  });
});
