import { describe, expect, it } from 'vitest';
import { cookieValue, hashKeyOf } from './hash-key.js';

describe('hashKeyOf', () => {
  it('reads a header, a cookie or the client address', () => {
    const headers = { 'x-user-id': 'u-7', cookie: 'a=1; session=abc; b=2' };
    expect(hashKeyOf({ header: 'x-user-id' }, headers, '10.1.1.1')).toBe('u-7');
    expect(hashKeyOf({ cookie: 'session' }, headers, '10.1.1.1')).toBe('abc');
    expect(hashKeyOf({ clientIp: true }, headers, '10.1.1.1')).toBe('10.1.1.1');
  });
  it('is undefined when the request lacks it', () => {
    expect(hashKeyOf({ header: 'x-user-id' }, {}, undefined)).toBeUndefined();
    expect(hashKeyOf({ cookie: 'session' }, { cookie: 'other=1' }, undefined)).toBeUndefined();
    expect(hashKeyOf({ clientIp: true }, {}, undefined)).toBeUndefined();
  });
});

describe('cookieValue', () => {
  it('finds a cookie among several, trims, unquotes, takes the first', () => {
    expect(cookieValue('x=1;  s = "q v" ; s=2', 's')).toBe('q v');
    expect(cookieValue(['a=1', 'b=2'], 'b')).toBe('2');
    expect(cookieValue('ss=1', 's')).toBeUndefined();
    expect(cookieValue('novalue; s=3', 's')).toBe('3');
  });
});
