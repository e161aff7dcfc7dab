import { describe, expect, it } from 'vitest';
import { parseUpstreamTarget, upstreamPath } from './upstream-target.js';

describe('upstreamPath', () => {
  it('passes the forward path and query through for a target without a path', () => {
    const t = parseUpstreamTarget('http://10.0.0.7:8080', 1);
    expect(upstreamPath(t, '/42', '?x=1')).toBe('/42?x=1');
    expect(upstreamPath(t, '/', '')).toBe('/');
    expect(upstreamPath(t, '//evil/x', '')).toBe('//evil/x');
  });
  it('prepends the target path prefix', () => {
    const t = parseUpstreamTarget('http://10.0.0.7:8080/api/', 1);
    expect(upstreamPath(t, '/42', '?x=1')).toBe('/api/42?x=1');
    expect(upstreamPath(t, '/', '')).toBe('/api/');
  });
  it('puts the target query first and the client query after it', () => {
    const t = parseUpstreamTarget('http://h/v1?key=k', 1);
    expect(upstreamPath(t, '/42', '?x=1')).toBe('/v1/42?key=k&x=1');
    expect(upstreamPath(t, '/42', '')).toBe('/v1/42?key=k');
    expect(upstreamPath(t, '/42', '?')).toBe('/v1/42?key=k');
  });
});

describe('parseUpstreamTarget', () => {
  it('refuses what cannot be forwarded to', () => {
    expect(() => parseUpstreamTarget('ftp://h/x', 1)).toThrow(/not an http or https URL/);
    expect(() => parseUpstreamTarget('not a url', 1)).toThrow();
  });
});
