import { describe, expect, it } from 'vitest';
import { tryFailureKind } from './try-failure.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('tryFailureKind', () => {
  it('calls failures before a connection existed connect failures: nothing reached the target', () => {
    for (const code of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']) expect(tryFailureKind(withCode(code))).toBe('connect-failure');
  });
  it('calls anything else a reset, and an unparseable response invalid', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET']) expect(tryFailureKind(withCode(code))).toBe('reset');
    expect(tryFailureKind(new Error('socket hang up'))).toBe('reset');
    for (const code of ['HPE_INVALID_CONSTANT', 'UND_ERR_HEADERS_OVERFLOW']) expect(tryFailureKind(withCode(code))).toBe('invalid');
    // A request undici refuses to send would be refused on every target: never retried.
    expect(tryFailureKind(withCode('UND_ERR_INVALID_ARG'))).toBe('invalid');
    expect(tryFailureKind(undefined)).toBe('reset');
  });
});
