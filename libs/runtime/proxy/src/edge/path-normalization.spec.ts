import { describe, expect, it } from 'vitest';
import { ABOVE_ROOT, BACKSLASH, BAD_PERCENT_ENCODING, DOT_SEGMENT_PARAMETERS, ENCODED_SEPARATOR, FRAGMENT } from './edge-errors.js';
import { normalizePath } from './path-normalization.js';

describe('normalizePath', () => {
  it('returns an ordinary path as the same string', () => {
    for (const path of ['/', '/orders/42', '/a/b.json', '/a/.well-known'.replace('/.', '/x.'), '//evil/x', '/a//b/', '/ü/€']) {
      expect(normalizePath(path)).toBe(path);
    }
  });

  it('resolves . and .. segments like RFC 3986', () => {
    expect(normalizePath('/a/./b')).toBe('/a/b');
    expect(normalizePath('/a/../b')).toBe('/b');
    expect(normalizePath('/a/b/..')).toBe('/a/');
    expect(normalizePath('/a/b/.')).toBe('/a/b/');
    expect(normalizePath('/a/..')).toBe('/');
    expect(normalizePath('/.')).toBe('/');
    expect(normalizePath('/./')).toBe('/');
    expect(normalizePath('/a//..')).toBe('/a/');
    expect(normalizePath('/public/../admin/x')).toBe('/admin/x');
    expect(normalizePath('/.well-known/x')).toBe('/.well-known/x');
    expect(normalizePath('/a/...')).toBe('/a/...');
  });

  it('never turns a leading // into anything but a path', () => {
    expect(normalizePath('//a/../b')).toBe('//b');
    expect(normalizePath('/./evil.com/x')).toBe('/evil.com/x');
  });

  it('refuses .. that climbs above the root', () => {
    for (const path of ['/..', '/../etc/passwd', '/a/../..', '/a/../../b', '/%2e%2e/x', '/.%2E/x']) {
      expect(normalizePath(path), path).toBe(ABOVE_ROOT);
    }
  });

  it('treats %2e like a dot, in any case and mix', () => {
    expect(normalizePath('/a/%2e%2e/b')).toBe('/b');
    expect(normalizePath('/a/%2E%2e/b')).toBe('/b');
    expect(normalizePath('/a/.%2e/b')).toBe('/b');
    expect(normalizePath('/a/%2e/b')).toBe('/a/b');
    expect(normalizePath('/file%2ejson')).toBe('/file.json');
  });

  it('decodes unreserved escapes and upper-cases the others', () => {
    expect(normalizePath('/%6Frders/%41%7e%5f%2D')).toBe('/orders/A~_-');
    expect(normalizePath('/a%20b/%c3%a9')).toBe('/a%20b/%C3%A9');
    expect(normalizePath('/q%3fx%23y%25')).toBe('/q%3Fx%23y%25');
  });

  it('refuses encoded separators and NUL', () => {
    for (const path of ['/a%2Fb', '/a%2fb', '/a/..%2F..%2Fadmin', '/a%5Cb', '/a%5cb', '/a%00', '/%00/x']) {
      expect(normalizePath(path), path).toBe(ENCODED_SEPARATOR);
    }
  });

  it('refuses broken escapes, backslashes, fragments and dot segments with parameters', () => {
    for (const path of ['/a%', '/a%2', '/a%zz', '/a%2g/b']) expect(normalizePath(path), path).toBe(BAD_PERCENT_ENCODING);
    expect(normalizePath('/a\\..\\admin')).toBe(BACKSLASH);
    expect(normalizePath('/a\\b')).toBe(BACKSLASH);
    expect(normalizePath('/a#b')).toBe(FRAGMENT);
    expect(normalizePath('/public/..;/admin')).toBe(DOT_SEGMENT_PARAMETERS);
    expect(normalizePath('/public/.;x=1/admin')).toBe(DOT_SEGMENT_PARAMETERS);
    expect(normalizePath('/public/a;x=1/b')).toBe('/public/a;x=1/b');
  });

  it('is idempotent: a normalized path normalizes to itself', () => {
    for (const path of ['/a/%2e%2e/b/./c/', '/%6Frders/%c3%a9', '/a/b/..', '//x/./y']) {
      const once = normalizePath(path) as string;
      expect(normalizePath(once)).toBe(once);
    }
  });
});
