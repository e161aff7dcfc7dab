import { ErrorCodes, GatewayError } from '@gw/errors';

/** One `host:port` of a Redis node or Sentinel. */
export interface RedisAddress {
  host: string;
  port: number;
}

interface Credentials {
  /** ACL user (Redis 6+); undefined = the default user. */
  username: string | undefined;
  password: string | undefined;
}

/** Where `REDIS_URL` points, parsed; passwords are kept but never printed (see `describeRedisTarget`). */
export type RedisTarget =
  | ({ kind: 'standalone'; tls: boolean; address: RedisAddress; db: number } & Credentials)
  | ({
      kind: 'sentinel';
      tls: boolean;
      sentinels: RedisAddress[];
      /** The master group name the Sentinels monitor. */
      masterName: string;
      db: number;
      sentinelUsername: string | undefined;
      sentinelPassword: string | undefined;
    } & Credentials)
  | ({ kind: 'cluster'; tls: boolean; nodes: RedisAddress[] } & Credentials);

const SCHEMES: Record<string, { kind: RedisTarget['kind']; tls: boolean; defaultPort: number }> = {
  'redis:': { kind: 'standalone', tls: false, defaultPort: 6379 },
  'rediss:': { kind: 'standalone', tls: true, defaultPort: 6379 },
  'redis-sentinel:': { kind: 'sentinel', tls: false, defaultPort: 26379 },
  'rediss-sentinel:': { kind: 'sentinel', tls: true, defaultPort: 26379 },
  'redis-cluster:': { kind: 'cluster', tls: false, defaultPort: 6379 },
  'rediss-cluster:': { kind: 'cluster', tls: true, defaultPort: 6379 },
};

// scheme://[userinfo@]hosts[/path][?query]; hosts may be a comma-separated list, which
// WHATWG URL parsing refuses, so the URL is split by hand.
const URL_RE = /^([a-z-]+:)\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i;

/**
 * Parses `REDIS_URL`:
 *
 * - `redis://[user:password@]host[:6379][/db]`, `rediss://…` for TLS
 * - `redis-sentinel://[user:password@]host[:26379][,host[:26379]…]/masterName[/db][?sentinelPassword=…&sentinelUsername=…]`
 *   (`rediss-sentinel://` for TLS to the Sentinels and the master); the credentials in
 *   the user-info part are the master's
 * - `redis-cluster://[user:password@]host[:6379][,host[:6379]…]` (`rediss-cluster://` for TLS);
 *   the listed nodes are seeds, the rest is discovered
 *
 * IPv6 addresses go in brackets (`[::1]:6379`). Throws `GW_CONFIG_ENV` with a message
 * that never contains the password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = URL_RE.exec(url.trim());
  const fail = (why: string): never => {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `REDIS_URL ${redactRedisUrl(url)}: ${why}`);
  };
  if (!m) return fail('expected scheme://host[:port][/…] (schemes: redis, rediss, redis-sentinel, rediss-sentinel, redis-cluster, rediss-cluster)');
  const scheme = SCHEMES[m[1]!.toLowerCase()];
  if (!scheme) return fail(`unknown scheme ${m[1]} (use redis:, rediss:, redis-sentinel:, rediss-sentinel:, redis-cluster: or rediss-cluster:)`);
  const { username, password } = parseUserInfo(m[2], fail);
  const hostList = m[3] ?? '';
  const addresses = hostList.split(',').map((h) => parseAddress(h, scheme.defaultPort, fail));
  const segments = (m[4] ?? '').split('/').filter((s) => s !== '');
  const query = new URLSearchParams(m[5] ?? '');
  const parseDb = (s: string | undefined): number => {
    if (s === undefined) return 0;
    if (!/^\d{1,2}$/.test(s)) return fail(`database "${s}" must be a number 0-99`);
    return Number(s);
  };
  const allowOnly = (allowed: string[]) => {
    for (const key of query.keys()) if (!allowed.includes(key)) fail(`unknown query parameter "${key}"`);
  };

  switch (scheme.kind) {
    case 'standalone': {
      if (addresses.length !== 1) return fail('a redis:// URL names one host; use redis-sentinel:// or redis-cluster:// for several');
      if (segments.length > 1) return fail('the path may only hold the database number');
      allowOnly([]);
      return { kind: 'standalone', tls: scheme.tls, address: addresses[0]!, db: parseDb(segments[0]), username, password };
    }
    case 'sentinel': {
      const masterName = segments[0] !== undefined ? safeDecode(segments[0], fail) : undefined;
      if (!masterName) return fail('the path must name the master group: redis-sentinel://host:26379,host2:26379/mymaster');
      if (segments.length > 2) return fail('the path holds the master name and an optional database number');
      allowOnly(['sentinelPassword', 'sentinelUsername']);
      return {
        kind: 'sentinel',
        tls: scheme.tls,
        sentinels: addresses,
        masterName,
        db: parseDb(segments[1]),
        username,
        password,
        sentinelUsername: query.get('sentinelUsername') ?? undefined,
        sentinelPassword: query.get('sentinelPassword') ?? undefined,
      };
    }
    case 'cluster': {
      if (segments.length > 0) return fail('a cluster has only database 0: no path allowed');
      allowOnly([]);
      return { kind: 'cluster', tls: scheme.tls, nodes: addresses, username, password };
    }
  }
}

function parseUserInfo(userInfo: string | undefined, fail: (why: string) => never): Credentials {
  if (userInfo === undefined || userInfo === '') return { username: undefined, password: undefined };
  const colon = userInfo.indexOf(':');
  const user = colon === -1 ? userInfo : userInfo.slice(0, colon);
  const pass = colon === -1 ? undefined : userInfo.slice(colon + 1);
  return {
    username: user === '' ? undefined : safeDecode(user, fail),
    password: pass === undefined || pass === '' ? undefined : safeDecode(pass, fail),
  };
}

function parseAddress(text: string, defaultPort: number, fail: (why: string) => never): RedisAddress {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return fail(`"${text}" is not host[:port]`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) return fail(`port ${port} is out of range`);
  return { host, port };
}

function safeDecode(s: string, fail: (why: string) => never): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return fail('broken percent-encoding');
  }
}

/** `REDIS_URL` with any password replaced by `***`, safe to log and to show in `/config`. */
export function redactRedisUrl(url: string): string {
  return url
    .replace(/^([^:]*:\/\/[^:@/]*:)[^@/]*@/, '$1***@')
    .replace(/([?&](?:sentinelPassword)=)[^&#]*/gi, '$1***');
}

/** A one-line, password-free description of a target, for logs and `/config`. */
export function describeRedisTarget(target: RedisTarget): string {
  const addr = (a: RedisAddress) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
  const tls = target.tls ? ' (tls)' : '';
  switch (target.kind) {
    case 'standalone':
      return `redis ${addr(target.address)}/${target.db}${tls}`;
    case 'sentinel':
      return `sentinel ${target.sentinels.map(addr).join(',')} master ${target.masterName}/${target.db}${tls}`;
    case 'cluster':
      return `cluster ${target.nodes.map(addr).join(',')}${tls}`;
  }
}
