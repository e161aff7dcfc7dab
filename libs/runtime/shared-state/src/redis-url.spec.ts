import { describe, expect, it } from 'vitest';
import { describeRedisTarget, parseRedisUrl, redactRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('parses a single node with credentials, database and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({
      kind: 'standalone', tls: false, address: { host: '127.0.0.1', port: 6380 }, db: 2, username: undefined, password: undefined,
    });
    expect(parseRedisUrl('rediss://app:s%40cret@redis.internal')).toEqual({
      kind: 'standalone', tls: true, address: { host: 'redis.internal', port: 6379 }, db: 0, username: 'app', password: 's@cret',
    });
    expect(parseRedisUrl('redis://:pw@[::1]:7000')).toMatchObject({ address: { host: '::1', port: 7000 }, username: undefined, password: 'pw' });
  });

  it('parses Sentinel: several sentinels, the master name, a database and sentinel credentials', () => {
    expect(parseRedisUrl('redis-sentinel://:pw@s1:26379,s2,s3:26380/mymaster/1?sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      tls: false,
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: 's3', port: 26380 }],
      masterName: 'mymaster',
      db: 1,
      username: undefined,
      password: 'pw',
      sentinelUsername: undefined,
      sentinelPassword: 'sp',
    });
    expect(parseRedisUrl('rediss-sentinel://s1/m')).toMatchObject({ kind: 'sentinel', tls: true, masterName: 'm', db: 0 });
  });

  it('parses Cluster seed nodes', () => {
    expect(parseRedisUrl('redis-cluster://h1:6379,h2:6380,h3')).toEqual({
      kind: 'cluster', tls: false, nodes: [{ host: 'h1', port: 6379 }, { host: 'h2', port: 6380 }, { host: 'h3', port: 6379 }], username: undefined, password: undefined,
    });
    expect(parseRedisUrl('rediss-cluster://u:p@h1')).toMatchObject({ kind: 'cluster', tls: true, username: 'u', password: 'p' });
  });

  it.each([
    ['http://h:6379', /unknown scheme/],
    ['redis://h1,h2', /names one host/],
    ['redis://h:99999', /out of range/],
    ['redis://h/abc', /database "abc"/],
    ['redis-sentinel://s1:26379', /must name the master group/],
    ['redis-cluster://h1/1', /no path allowed/],
    ['redis://h?x=1', /unknown query parameter "x"/],
    ['not a url', /expected scheme/],
  ])('rejects %s with GW_CONFIG_ENV', (url, why) => {
    expect(() => parseRedisUrl(url)).toThrow(why);
    try {
      parseRedisUrl(url);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('GW_CONFIG_ENV');
    }
  });

  it('never puts a password in an error message or a description', () => {
    expect(() => parseRedisUrl('redis://u:topsecret@h/zz')).toThrow(/redis:\/\/u:\*\*\*@h\/zz/);
    expect(() => parseRedisUrl('redis://u:topsecret@h/zz')).not.toThrow(/topsecret/);
    expect(redactRedisUrl('redis-sentinel://:pw@s1/m?sentinelPassword=sp')).toBe('redis-sentinel://:***@s1/m?sentinelPassword=***');
    expect(describeRedisTarget(parseRedisUrl('rediss://u:topsecret@h:1/3'))).toBe('redis h:1/3 (tls)');
    expect(describeRedisTarget(parseRedisUrl('redis-sentinel://:x@a,b:2/m'))).toBe('sentinel a:26379,b:2 master m/0');
    expect(describeRedisTarget(parseRedisUrl('redis-cluster://[::1]:7000,h'))).toBe('cluster [::1]:7000,h:6379');
  });
});
