import { describe, expect, it } from 'vitest';
import { isValidHostHeader } from './host-header.js';

describe('isValidHostHeader', () => {
  it('accepts names, IPv4, IPv6 literals, ports and the empty value', () => {
    for (const ok of ['', 'api.example.com', 'API.Example.com:8080', '10.0.0.1', '10.0.0.1:80', '[::1]', '[2001:db8::1]:8443', 'xn--bcher-kva.example', 'a_b', 'host:']) {
      expect(isValidHostHeader(ok), ok).toBe(true);
    }
  });

  it('refuses lists, paths, credentials, spaces, bad ports and bad literals', () => {
    for (const bad of ['a, b', 'a/b', 'user@host', 'a b', 'host:123456', 'host:8o', ':80', '[::1', '[zz]', '[::1]x', 'a\\b', 'a#b', 'a?b']) {
      expect(isValidHostHeader(bad), bad).toBe(false);
    }
  });
});
