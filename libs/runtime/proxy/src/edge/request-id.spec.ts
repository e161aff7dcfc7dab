import { describe, expect, it } from 'vitest';
import { resolveRequestId } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('resolveRequestId', () => {
  it('keeps a plain token of 1 to 128 characters', () => {
    expect(resolveRequestId('req-abc.1:2_3')).toBe('req-abc.1:2_3');
    expect(resolveRequestId('x'.repeat(128))).toBe('x'.repeat(128));
  });
  it('replaces anything else with a fresh UUID', () => {
    for (const bad of [undefined, '', 'has space', 'x'.repeat(129), 'a, b', '<script>', 'é', ['a', 'b']]) {
      expect(resolveRequestId(bad)).toMatch(UUID);
    }
    expect(resolveRequestId(undefined)).not.toBe(resolveRequestId(undefined));
  });
});
