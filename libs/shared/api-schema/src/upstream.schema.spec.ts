import { describe, expect, it } from 'vitest';
import { API_DEFAULTS } from './index.js';
import { validateApiDefinition, type FieldProblem } from './index.js';

const TARGETS = [{ url: 'http://10.0.0.7:8080' }];

function withUpstream(extra: Record<string, unknown>): Record<string, unknown> {
  return { name: 'orders', basePath: '/orders', upstream: { targets: TARGETS, ...extra } };
}

function upstreamOf(extra: Record<string, unknown>) {
  const result = validateApiDefinition(withUpstream(extra));
  if (!result.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(result.problems)}`);
  return result.value.upstream;
}

function problemsOf(extra: Record<string, unknown>): FieldProblem[] {
  const result = validateApiDefinition(withUpstream(extra));
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.value)}`);
  return result.problems;
}

describe('upstream: targets', () => {
  it('keeps a zone, defaults it to null, and rejects malformed zones', () => {
    expect(upstreamOf({ targets: [{ url: 'http://a', zone: 'eu-west-1a' }, { url: 'http://b', zone: null }, { url: 'http://c' }] }).targets.map((t) => t.zone)).toEqual([
      'eu-west-1a',
      null,
      null,
    ]);
    expect(problemsOf({ targets: [{ url: 'http://a', zone: '' }, { url: 'http://b', zone: 'a b' }, { url: 'http://c', zone: 7 }] }).map((p) => p.path)).toEqual([
      'upstream.targets[0].zone',
      'upstream.targets[1].zone',
      'upstream.targets[2].zone',
    ]);
  });
});

describe('upstream: loadBalancing', () => {
  it('fills the defaults and keeps explicit values', () => {
    expect(upstreamOf({}).loadBalancing).toEqual({ algorithm: 'round-robin', hashOn: null, zoneAware: true, minZoneHealthyPercent: 70 });
    expect(upstreamOf({ loadBalancing: { algorithm: 'least-request', zoneAware: false, minZoneHealthyPercent: 0 } }).loadBalancing).toEqual({
      algorithm: 'least-request',
      hashOn: null,
      zoneAware: false,
      minZoneHealthyPercent: 0,
    });
  });

  it.each([
    [{ header: 'X-User-Id' }, { header: 'x-user-id' }],
    [{ cookie: 'Session' }, { cookie: 'Session' }],
    [{ clientIp: true }, { clientIp: true }],
  ])('accepts consistent hashing on %j', (hashOn, expected) => {
    expect(upstreamOf({ loadBalancing: { algorithm: 'consistent-hash', hashOn } }).loadBalancing.hashOn).toEqual(expected);
  });

  it.each([
    [{ algorithm: 'random' }, 'upstream.loadBalancing.algorithm', 'must be one of "round-robin", "least-request", "consistent-hash"'],
    [{ algorithm: 'consistent-hash' }, 'upstream.loadBalancing.hashOn', 'is required with algorithm "consistent-hash": {"header": name}, {"cookie": name} or {"clientIp": true}'],
    [{ hashOn: { header: 'x' } }, 'upstream.loadBalancing.hashOn', 'must be null unless algorithm is "consistent-hash" (it is "round-robin")'],
    [{ algorithm: 'consistent-hash', hashOn: { header: 'x', cookie: 'y' } }, 'upstream.loadBalancing.hashOn', 'must be an object with exactly one of "header" (a header name), "cookie" (a cookie name) or "clientIp": true'],
    [{ algorithm: 'consistent-hash', hashOn: { ip: true } }, 'upstream.loadBalancing.hashOn', 'must be an object with exactly one of "header" (a header name), "cookie" (a cookie name) or "clientIp": true'],
    [{ algorithm: 'consistent-hash', hashOn: { clientIp: false } }, 'upstream.loadBalancing.hashOn.clientIp', 'must be true'],
    [{ algorithm: 'consistent-hash', hashOn: { header: 'bad header' } }, 'upstream.loadBalancing.hashOn.header', "must be a header name: 1-256 token characters (letters, digits and !#$%&'*+-.^_`|~)"],
    [{ algorithm: 'consistent-hash', hashOn: { cookie: '' } }, 'upstream.loadBalancing.hashOn.cookie', "must be a cookie name: 1-256 token characters (letters, digits and !#$%&'*+-.^_`|~)"],
    [{ minZoneHealthyPercent: 101 }, 'upstream.loadBalancing.minZoneHealthyPercent', 'must be between 0 and 100'],
    [{ zoneAware: 'yes' }, 'upstream.loadBalancing.zoneAware', 'must be a boolean, not a string'],
    [{ sticky: true }, 'upstream.loadBalancing.sticky', 'unknown field'],
  ])('rejects loadBalancing %j', (loadBalancing, path, message) => {
    expect(problemsOf({ loadBalancing })).toEqual([{ path, message }]);
  });
});

describe('upstream: timeouts', () => {
  it('defaults totalMs to 60 s, or to requestMs when that is longer', () => {
    expect(upstreamOf({}).timeouts).toEqual({ connectMs: 5000, requestMs: 30000, totalMs: 60000, streamIdleMs: 300_000 });
    expect(upstreamOf({ timeouts: { requestMs: 120_000 } }).timeouts.totalMs).toBe(120_000);
    expect(upstreamOf({ timeouts: { requestMs: 1000, totalMs: 1000 } }).timeouts).toEqual({ connectMs: 5000, requestMs: 1000, totalMs: 1000, streamIdleMs: 300_000 });
  });

  it('keeps an explicit streamIdleMs and refuses one out of range', () => {
    expect(upstreamOf({ timeouts: { streamIdleMs: 15_000 } }).timeouts.streamIdleMs).toBe(15_000);
    expect(problemsOf({ timeouts: { streamIdleMs: 0 } })).toEqual([{ path: 'upstream.timeouts.streamIdleMs', message: 'must be between 1 and 3600000' }]);
  });

  it('leaves the client timeouts to the runtime unless given; 0 turns one off', () => {
    expect(upstreamOf({}).timeouts).not.toHaveProperty('clientBodyMs');
    expect(upstreamOf({}).timeouts).not.toHaveProperty('clientSendMs');
    const given = upstreamOf({ timeouts: { clientBodyMs: 5_000, clientSendMs: 0 } }).timeouts;
    expect([given.clientBodyMs, given.clientSendMs]).toEqual([5_000, 0]);
    expect(problemsOf({ timeouts: { clientBodyMs: -1, clientSendMs: 3_600_001 } })).toEqual([
      { path: 'upstream.timeouts.clientBodyMs', message: 'must be between 0 and 3600000' },
      { path: 'upstream.timeouts.clientSendMs', message: 'must be between 0 and 3600000' },
    ]);
  });

  it('rejects a total below the per-try timeout', () => {
    expect(problemsOf({ timeouts: { requestMs: 2000, totalMs: 1000 } })).toEqual([{ path: 'upstream.timeouts.totalMs', message: 'must be at least requestMs (2000)' }]);
  });
});

describe('upstream: retries', () => {
  it('fills the defaults, keeps the operator order of conditions, accepts any 5xx', () => {
    expect(upstreamOf({}).retries).toEqual(API_DEFAULTS.retries);
    expect(upstreamOf({ retries: { attempts: 0 } }).retries).toEqual({ ...API_DEFAULTS.retries, attempts: 0 });
    expect(upstreamOf({ retries: { on: ['timeout', '500', 'reset'] } }).retries.on).toEqual(['timeout', '500', 'reset']);
    expect(upstreamOf({ retries: { on: [] } }).retries.on).toEqual([]);
    expect(upstreamOf({ retries: { backoffBaseMs: 1000 } }).retries).toMatchObject({ backoffBaseMs: 1000, backoffMaxMs: 1000 });
  });

  it('reads the deprecated budgetMinPerSecond as minRetryConcurrency, so older definitions stay valid', () => {
    const old = upstreamOf({ retries: { budgetMinPerSecond: 20 } }).retries!;
    expect(old.minRetryConcurrency).toBe(20);
    expect('budgetMinPerSecond' in old).toBe(false);
    expect(upstreamOf({ retries: { minRetryConcurrency: 7 } }).retries!.minRetryConcurrency).toBe(7);
    expect(upstreamOf({}).retries).toMatchObject({ budgetPercent: 20, minRetryConcurrency: 3 });
  });

  it.each([
    [{ attempts: 6 }, 'upstream.retries.attempts', 'must be between 0 and 5'],
    [{ on: ['502', '429'] }, 'upstream.retries.on[1]', 'must be "connect-failure", "reset", "timeout" or a status "500"-"599" as a string'],
    [{ on: [502] }, 'upstream.retries.on[0]', 'must be "connect-failure", "reset", "timeout" or a status "500"-"599" as a string'],
    [{ on: ['reset', 'reset'] }, 'upstream.retries.on[1]', 'duplicates upstream.retries.on[0] ("reset")'],
    [{ on: 'reset' }, 'upstream.retries.on', 'must be an array, not a string'],
    [{ backoffBaseMs: 300, backoffMaxMs: 200 }, 'upstream.retries.backoffMaxMs', 'must be at least backoffBaseMs (300)'],
    [{ budgetPercent: 101 }, 'upstream.retries.budgetPercent', 'must be between 0 and 100'],
    [{ minRetryConcurrency: -1 }, 'upstream.retries.minRetryConcurrency', 'must be between 0 and 10000'],
    [{ budgetMinPerSecond: -1 }, 'upstream.retries.budgetMinPerSecond', 'must be between 0 and 10000'],
    [{ budgetMinPerSecond: 3, minRetryConcurrency: 3 }, 'upstream.retries.budgetMinPerSecond', 'is the old name of minRetryConcurrency: give only minRetryConcurrency'],
    [{ perTryMs: 5 }, 'upstream.retries.perTryMs', 'unknown field'],
  ])('rejects retries %j', (retries, path, message) => {
    expect(problemsOf({ retries })).toEqual([{ path, message }]);
  });

  it('rejects null for the blocks that cannot be switched off that way', () => {
    expect(problemsOf({ retries: null, timeouts: null, loadBalancing: null }).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'upstream.loadBalancing: must be an object, not null',
      'upstream.timeouts: must be an object, not null',
      'upstream.retries: must be an object, not null',
    ]);
  });
});

describe('upstream: healthCheck', () => {
  it('is off by default and with null; {} turns it on with every default', () => {
    expect(upstreamOf({}).healthCheck).toBeNull();
    expect(upstreamOf({ healthCheck: null }).healthCheck).toBeNull();
    expect(upstreamOf({ healthCheck: {} }).healthCheck).toEqual(API_DEFAULTS.healthCheck);
    expect(upstreamOf({ healthCheck: { path: '/ready?deep=1', intervalMs: 500 } }).healthCheck).toEqual({
      path: '/ready?deep=1',
      intervalMs: 500,
      timeoutMs: 500,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    });
  });

  it.each([
    [{ path: 'health' }, 'upstream.healthCheck.path'],
    [{ path: '//evil/health' }, 'upstream.healthCheck.path'],
    [{ path: '/health#x' }, 'upstream.healthCheck.path'],
    [{ path: '/a b' }, 'upstream.healthCheck.path'],
    [{ intervalMs: 0 }, 'upstream.healthCheck.intervalMs'],
    [{ intervalMs: 1000, timeoutMs: 2000 }, 'upstream.healthCheck.timeoutMs'],
    [{ healthyThreshold: 0 }, 'upstream.healthCheck.healthyThreshold'],
    [{ unhealthyThreshold: 101 }, 'upstream.healthCheck.unhealthyThreshold'],
    [{ method: 'HEAD' }, 'upstream.healthCheck.method'],
  ])('rejects healthCheck %j at %s', (healthCheck, path) => {
    expect(problemsOf({ healthCheck }).map((p) => p.path)).toEqual([path]);
  });
});

describe('upstream: outlierDetection and circuitBreaker', () => {
  it('are on by default, off with null, and fill partial objects from the defaults', () => {
    const defaults = upstreamOf({});
    expect(defaults.outlierDetection).toEqual(API_DEFAULTS.outlierDetection);
    expect(defaults.circuitBreaker).toEqual(API_DEFAULTS.circuitBreaker);
    const off = upstreamOf({ outlierDetection: null, circuitBreaker: null });
    expect(off.outlierDetection).toBeNull();
    expect(off.circuitBreaker).toBeNull();
    expect(upstreamOf({ outlierDetection: { baseEjectionMs: 600_000 } }).outlierDetection).toMatchObject({ baseEjectionMs: 600_000, maxEjectionMs: 600_000 });
    expect(upstreamOf({ circuitBreaker: { maxPending: 0 } }).circuitBreaker).toEqual({ ...API_DEFAULTS.circuitBreaker, maxPending: 0 });
  });

  it.each([
    [{ outlierDetection: { consecutiveFailures: 0 } }, 'upstream.outlierDetection.consecutiveFailures'],
    [{ outlierDetection: { baseEjectionMs: 1000, maxEjectionMs: 500 } }, 'upstream.outlierDetection.maxEjectionMs'],
    [{ outlierDetection: { maxEjectionPercent: 101 } }, 'upstream.outlierDetection.maxEjectionPercent'],
    [{ outlierDetection: 'off' }, 'upstream.outlierDetection'],
    [{ circuitBreaker: { maxConcurrent: 0 } }, 'upstream.circuitBreaker.maxConcurrent'],
    [{ circuitBreaker: { failureRatePercent: 0 } }, 'upstream.circuitBreaker.failureRatePercent'],
    [{ circuitBreaker: { halfOpenRequests: 1001 } }, 'upstream.circuitBreaker.halfOpenRequests'],
    [{ circuitBreaker: { windowMs: 1.5 } }, 'upstream.circuitBreaker.windowMs'],
    [{ circuitBreaker: { enabled: true } }, 'upstream.circuitBreaker.enabled'],
  ])('rejects %j at %s', (extra, path) => {
    expect(problemsOf(extra).map((p) => p.path)).toEqual([path]);
  });
});

describe('upstream: hostRewrite', () => {
  it.each([
    ['API.example.com', 'api.example.com'],
    ['api.example.com:8443', 'api.example.com:8443'],
    ['10.0.0.7:80', '10.0.0.7:80'],
    ['[::1]:8080', '[::1]:8080'],
    [null, null],
  ])('accepts %j', (hostRewrite, expected) => {
    expect(upstreamOf({ hostRewrite }).hostRewrite).toBe(expected);
  });

  it.each(['', 'a b', 'evil.com/path', 'user@host', 'host:0', 'host:65536', 'host:080', '[::1', '[0:0::1]', 'a..b', 'host:'])('rejects %j', (hostRewrite) => {
    expect(problemsOf({ hostRewrite }).map((p) => p.path)).toEqual(['upstream.hostRewrite']);
  });
});

describe('normalization is idempotent', () => {
  it('accepts its own output unchanged (GET → PUT round trips)', () => {
    const inputs = [
      withUpstream({}),
      {
        name: 'full',
        basePath: '/full',
        hosts: ['*.Example.com', 'a.example.com'],
        routes: [{ name: 'r', methods: ['GET'], path: '/:id' }, { name: 'any', path: '/files/*' }],
        upstream: {
          targets: [{ url: 'http://a/', zone: 'z1', weight: 3 }],
          loadBalancing: { algorithm: 'consistent-hash', hashOn: { header: 'X-Key' } },
          timeouts: { requestMs: 90_000 },
          retries: { backoffBaseMs: 500, on: ['reset'] },
          healthCheck: { intervalMs: 200 },
          outlierDetection: { baseEjectionMs: 400_000 },
          circuitBreaker: null,
          hostRewrite: 'Up.Example',
        },
      },
    ];
    for (const input of inputs) {
      const once = validateApiDefinition(input);
      if (!once.ok) throw new Error(JSON.stringify(once.problems));
      const twice = validateApiDefinition(JSON.parse(JSON.stringify(once.value)));
      expect(twice).toEqual(once);
    }
  });
});
