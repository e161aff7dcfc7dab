import { describe, expect, it } from 'vitest';
import { normalizeHost } from './host-name.js';

describe('normalizeHost', () => {
  it('lower-cases and drops the port', () => {
    expect(normalizeHost('API.Example.com')).toBe('api.example.com');
    expect(normalizeHost('api.example.com:8080')).toBe('api.example.com');
    expect(normalizeHost('10.0.0.7:80')).toBe('10.0.0.7');
  });
  it('drops the trailing dot of a fully qualified name', () => {
    expect(normalizeHost('api.example.com.')).toBe('api.example.com');
    expect(normalizeHost('API.example.com.:443')).toBe('api.example.com');
    expect(normalizeHost('.')).toBeUndefined();
  });
  it('keeps IPv6 literals in brackets', () => {
    expect(normalizeHost('[::1]:8080')).toBe('[::1]');
    expect(normalizeHost('[FE80::1]')).toBe('[fe80::1]');
  });
  it('treats a missing or empty host as none', () => {
    expect(normalizeHost(undefined)).toBeUndefined();
    expect(normalizeHost('')).toBeUndefined();
    expect(normalizeHost(':8080')).toBeUndefined();
  });
});
