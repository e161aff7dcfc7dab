import { describe, expect, it } from 'vitest';
import { tryFailureKind } from './try-failure.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('tryFailureKind', () => {
  it('calls failures before a connection existed connect failures: nothing reached the target', () => {
    for (const code of ['ECONNREFUSED', 'ECONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']) expect(tryFailureKind(withCode(code))).toBe('connect-failure');
  });
  it('calls anything else a reset, and an unparseable response invalid', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT']) expect(tryFailureKind(withCode(code))).toBe('reset');
    expect(tryFailureKind(new Error('socket hang up'))).toBe('reset');
    expect(tryFailureKind(withCode('HPE_INVALID_CONSTANT'))).toBe('invalid');
    expect(tryFailureKind(undefined)).toBe('reset');
  });
});
