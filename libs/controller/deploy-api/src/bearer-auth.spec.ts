import { createHash } from 'node:crypto';
import type { TokenStore } from '@gw/store';
import { describe, expect, it } from 'vitest';
import { bearerAuth, tokensEqual } from './bearer-auth.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Construction never touches the token store. */
const tokens = new Proxy({} as TokenStore, { get: () => () => Promise.reject(new Error('not used at construction')) });

describe('tokensEqual', () => {
  it('accepts only the exact token', () => {
    expect(tokensEqual('secret', digest('secret'))).toBe(true);
    expect(tokensEqual('Secret', digest('secret'))).toBe(false);
    expect(tokensEqual('secret ', digest('secret'))).toBe(false);
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokensEqual('', digest('secret'))).toBe(false);
    expect(tokensEqual('x'.repeat(10_000), digest('secret'))).toBe(false);
  });
});

describe('bearerAuth configuration', () => {
  it('refuses an empty token rather than guessing', () => {
    expect(() => bearerAuth({ adminToken: '', tokens })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV' }));
  });

  it('refuses a token no header could carry', () => {
    expect(() => bearerAuth({ adminToken: 'two words', tokens })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV' }));
  });

  it('refuses to run without a token unless authentication is disabled explicitly', () => {
    expect(() => bearerAuth({ adminToken: undefined, tokens })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV' }));
    expect(typeof bearerAuth({ adminToken: undefined, authDisabled: true, tokens })).toBe('function');
  });

  it('refuses a token together with the opt-out', () => {
    expect(() => bearerAuth({ adminToken: 'secret', authDisabled: true, tokens })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV' }));
  });
});
