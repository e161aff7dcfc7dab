import { describe, expect, it } from 'vitest';
import { parseIfMatch, revisionEtag } from './api-routes.js';

describe('parseIfMatch', () => {
  it('is absent without a header', () => {
    expect(parseIfMatch(undefined)).toEqual({ kind: 'absent' });
  });

  it.each(['"3"', '3', 'W/"3"', ' "3" '])('reads %j as revision 3', (header) => {
    expect(parseIfMatch(header)).toEqual({ kind: 'revision', revision: 3 });
  });

  it('reads * as "any existing revision"', () => {
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
  });

  it.each(['"abc"', '"0"', '"-1"', '"1", "2"', 'w/"3"', '"3', '"1e3"', '"1234567890123456"', ''])('never matches %j', (header) => {
    expect(parseIfMatch(header)).toEqual({ kind: 'unmatchable' });
  });

  it('round-trips the ETag it produces', () => {
    expect(parseIfMatch(revisionEtag(42))).toEqual({ kind: 'revision', revision: 42 });
  });
});
