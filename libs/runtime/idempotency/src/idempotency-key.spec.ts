import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from './idempotency-key.js';

describe('parseIdempotencyKey', () => {
  it('accepts the draft sf-string form and the bare form as the same key', () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toEqual({ kind: 'key', key: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toEqual({ kind: 'key', key: '8e03978e-40d5-43e8-bc93-6894a57f9324' });
    expect(parseIdempotencyKey('"a\\"b"')).toEqual({ kind: 'key', key: 'a"b' });
    expect(parseIdempotencyKey(['k1'])).toEqual({ kind: 'key', key: 'k1' });
  });

  it('tells absent from invalid', () => {
    expect(parseIdempotencyKey(undefined)).toEqual({ kind: 'absent' });
    expect(parseIdempotencyKey('')).toMatchObject({ kind: 'invalid', reason: 'empty' });
    expect(parseIdempotencyKey('""')).toMatchObject({ kind: 'invalid', reason: 'empty' });
    expect(parseIdempotencyKey('x'.repeat(256))).toMatchObject({ kind: 'invalid', reason: 'longer than 255 characters' });
    expect(parseIdempotencyKey('has space')).toMatchObject({ kind: 'invalid', reason: 'not visible ASCII' });
    expect(parseIdempotencyKey('"a"b"')).toMatchObject({ kind: 'invalid' });
    expect(parseIdempotencyKey(['k1', 'k2'])).toMatchObject({ kind: 'invalid', reason: 'sent more than once' });
  });
});
