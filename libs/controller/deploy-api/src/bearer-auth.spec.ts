import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerAuth, tokensEqual } from './bearer-auth.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

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
  const protects = () => true;

  it('refuses an empty token rather than guessing', () => {
    expect(() => bearerAuth({ adminToken: '', protects })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV' }));
  });

  it('refuses a token no header could carry', () => {
    expect(() => bearerAuth({ adminToken: 'two words', protects })).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV' }));
  });

  it('builds without a token (auth off)', () => {
    expect(typeof bearerAuth({ adminToken: undefined, protects })).toBe('function');
  });
});
