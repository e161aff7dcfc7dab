import { describe, expect, it } from 'vitest';
import { censorSecret, censorUrl, REDACT_PATHS } from './log-redaction.js';

describe('censorUrl', () => {
  it('keeps scheme, host and path; censors credentials and the query', () => {
    expect(censorUrl('redis://user:pw@cache:6379/0')).toBe('redis://[REDACTED]@cache:6379/0');
    expect(censorUrl('rediss://:pw@cache')).toBe('rediss://[REDACTED]@cache');
    expect(censorUrl('redis-cluster://a:1,b:2')).toBe('redis-cluster://a:1,b:2');
    expect(censorUrl('postgres://db:5432/gw?password=x#frag')).toBe('postgres://db:5432/gw?[REDACTED]');
  });

  it('takes everything up to the last @ as credentials, so a password with / or @ does not leak', () => {
    expect(censorUrl('redis://u:p@ss/w@rd@cache:6379')).toBe('redis://[REDACTED]@cache:6379');
  });

  it('censors the whole value when it is not a URL with a scheme', () => {
    expect(censorUrl('user:pw@cache:6379')).toBe('[REDACTED]');
    expect(censorUrl('')).toBe('[REDACTED]');
  });
});

describe('censorSecret', () => {
  it('treats connection strings by URL, everything else as a whole', () => {
    expect(censorSecret('redis://u:p@h', ['redisUrl'])).toBe('redis://[REDACTED]@h');
    expect(censorSecret('redis://u:p@h', ['password'])).toBe('[REDACTED]');
    expect(censorSecret({ nested: 'object' }, ['databaseUrl'])).toBe('[REDACTED]');
  });

  it('has a path for every documented shape', () => {
    for (const p of ['authorization', '*.authorization', 'headers.cookie', '*.headers["set-cookie"]', '*.password', '*.adminToken', 'keys[*].k', '*.*.keys[*].d', '*.redisUrl']) {
      expect(REDACT_PATHS).toContain(p);
    }
  });
});
