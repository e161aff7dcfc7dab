import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiDefinitionSchema } from './api-definition.schema.js';
import { gatewayWording, problemsFromIssues } from './field-problems.js';
import { API_DEFAULTS } from './index.js';
import { damagedInputs } from './testing/definition-variations.js';
import { MAX_REPORTED_PROBLEMS, isValidApiName, validateApiDefinition, type FieldProblem } from './index.js';

const SMALLEST = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };

/** A fresh copy of the smallest definition with `patch` applied at the top level. */
function withTop(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...structuredClone(SMALLEST), ...patch };
}

function withTarget(target: unknown): Record<string, unknown> {
  return withTop({ upstream: { targets: [target] } });
}

function problemsOf(input: unknown, options?: { expectedName?: string }): FieldProblem[] {
  const result = validateApiDefinition(input, options);
  if (result.ok) throw new Error(`expected problems, got a valid definition: ${JSON.stringify(result.value)}`);
  return result.problems;
}

function pathsOf(input: unknown, options?: { expectedName?: string }): string[] {
  return problemsOf(input, options).map((p) => p.path);
}

function normalized(input: unknown, options?: { expectedName?: string }) {
  const result = validateApiDefinition(input, options);
  if (!result.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(result.problems)}`);
  return result.value;
}

describe('validateApiDefinition: valid input and normalization', () => {
  it('accepts the smallest definition and fills every default', () => {
    expect(validateApiDefinition(JSON.parse(JSON.stringify(SMALLEST)))).toEqual({
      ok: true,
      value: {
        name: 'orders',
        basePath: '/orders',
        hosts: [],
        stripBasePath: true,
        routes: [],
        upstream: {
          targets: [{ url: 'http://10.0.0.7:8080', weight: 1, zone: null }],
          loadBalancing: { algorithm: 'round-robin', hashOn: null, zoneAware: true, minZoneHealthyPercent: 70 },
          timeouts: { connectMs: 5_000, requestMs: 30_000, totalMs: 60_000, streamIdleMs: 300_000 },
          retries: { attempts: 2, on: ['connect-failure', 'reset', '502', '503', '504'], backoffBaseMs: 25, backoffMaxMs: 250, budgetPercent: 20, minRetryConcurrency: 3 },
          healthCheck: null,
          outlierDetection: { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 },
          circuitBreaker: { maxConcurrent: 1024, maxPending: 128, failureRatePercent: 50, windowMs: 10_000, minRequests: 20, openMs: 5_000, halfOpenRequests: 3 },
          buffering: { requests: true, responses: true },
          hostRewrite: null,
        },
        policies: { consumerHeader: 'x-consumer-id', cors: null, auth: null, rateLimits: [], idempotency: null },
      },
    });
  });

  it('keeps explicit values, target order, and lower-cases hosts', () => {
    const value = normalized({
      name: 'billing-v2',
      basePath: '/billing/v2',
      hosts: ['API.Example.com', 'internal'],
      stripBasePath: false,
      upstream: {
        targets: [
          { url: 'https://b.example:8443/base/', weight: 7 },
          { url: 'http://a.example', weight: 1000 },
        ],
        timeouts: { connectMs: 250, requestMs: 3_600_000 },
      },
    });
    expect(value).toMatchObject({
      name: 'billing-v2',
      basePath: '/billing/v2',
      hosts: ['api.example.com', 'internal'],
      stripBasePath: false,
      upstream: {
        targets: [
          { url: 'https://b.example:8443/base', weight: 7, zone: null },
          { url: 'http://a.example', weight: 1000, zone: null },
        ],
        timeouts: { connectMs: 250, requestMs: 3_600_000, totalMs: 3_600_000 },
      },
    });
  });

  it('fills a partly given timeouts object from the defaults', () => {
    expect(normalized(withTop({ upstream: { targets: [{ url: 'http://a' }], timeouts: { connectMs: 10 } } })).upstream.timeouts).toEqual({
      connectMs: 10,
      requestMs: API_DEFAULTS.timeouts.requestMs,
      totalMs: API_DEFAULTS.timeouts.totalMs,
      streamIdleMs: API_DEFAULTS.timeouts.streamIdleMs,
    });
  });

  it.each([
    ['http://10.0.0.7:8080/', 'http://10.0.0.7:8080'],
    ['HTTP://Upstream.Example:80/api//', 'http://upstream.example/api'],
    ['https://upstream.example:443', 'https://upstream.example'],
    ['http://[::1]:9000/v1', 'http://[::1]:9000/v1'],
    ['http://a/b/../c', 'http://a/c'],
  ])('normalizes target url %s to %s', (url, expected) => {
    expect(normalized(withTarget({ url })).upstream.targets[0]?.url).toBe(expected);
  });

  it('accepts the root base path and pchar-only segments', () => {
    expect(normalized(withTop({ basePath: '/' })).basePath).toBe('/');
    expect(normalized(withTop({ basePath: "/a-b._~!$&'()*+,;=:@/V2" })).basePath).toBe("/a-b._~!$&'()*+,;=:@/V2");
  });

  it('takes the name from expectedName when the body omits it', () => {
    const { name: _omitted, ...rest } = SMALLEST;
    expect(normalized(rest, { expectedName: 'orders' }).name).toBe('orders');
  });

  it('accepts a body name equal to expectedName', () => {
    expect(normalized(SMALLEST, { expectedName: 'orders' }).name).toBe('orders');
  });

  it('does not alias the input', () => {
    const input = withTop({ hosts: ['a.example'] });
    const value = normalized(input);
    (input['hosts'] as string[]).push('b.example');
    expect(value.hosts).toEqual(['a.example']);
  });

  it('accepts limits at their boundary: 63-char name, 512 targets, 100 hosts, 2048-char url', () => {
    const longUrl = 'http://a.example/' + 'p'.repeat(2048 - 'http://a.example/'.length);
    expect(longUrl).toHaveLength(2048);
    const value = normalized({
      name: 'a'.repeat(63),
      basePath: '/' + 'x'.repeat(1023),
      hosts: Array.from({ length: 100 }, (_, i) => `h${i}.example`),
      upstream: { targets: [{ url: longUrl }, ...Array.from({ length: 511 }, (_, i) => ({ url: `http://10.0.${i >> 8}.${i & 255}` }))] },
    });
    expect(value.upstream.targets).toHaveLength(512);
    expect(value.hosts).toHaveLength(100);
    expect(value.upstream.targets[5]?.url).toBe('http://10.0.0.4');
  });
});

describe('validateApiDefinition: non-object bodies', () => {
  it.each([
    ['null', null, 'null'],
    ['an array', [SMALLEST], 'an array'],
    ['a string', 'orders', 'a string'],
    ['a number', 42, 'a number'],
    ['undefined', undefined, 'undefined'],
  ])('rejects %s at the root path', (_label, input, described) => {
    expect(problemsOf(input)).toEqual([{ path: '', message: `must be a JSON object, not ${described}` }]);
  });
});

describe('validateApiDefinition: required fields and types', () => {
  it('reports every missing required field together, in schema order', () => {
    expect(problemsOf({})).toEqual([
      { path: 'name', message: 'is required' },
      { path: 'basePath', message: 'is required' },
      { path: 'upstream', message: 'is required' },
    ]);
  });

  it('requires upstream.targets', () => {
    expect(problemsOf(withTop({ upstream: {} }))).toEqual([{ path: 'upstream.targets', message: 'is required' }]);
  });

  it('requires a target url', () => {
    expect(problemsOf(withTarget({ weight: 2 }))).toEqual([{ path: 'upstream.targets[0].url', message: 'is required' }]);
  });

  it('names the expected type for every wrongly typed field', () => {
    expect(
      problemsOf({
        name: 7,
        basePath: ['/x'],
        hosts: 'a.example',
        stripBasePath: 'yes',
        upstream: { targets: [{ url: 1, weight: '2' }, 'http://a'], timeouts: { connectMs: 1.5, requestMs: null } },
      }),
    ).toEqual([
      { path: 'name', message: 'must be a string, not a number' },
      { path: 'basePath', message: 'must be a string, not an array' },
      { path: 'hosts', message: 'must be an array, not a string' },
      { path: 'stripBasePath', message: 'must be a boolean, not a string' },
      { path: 'upstream.targets[0].url', message: 'must be a string, not a number' },
      { path: 'upstream.targets[0].weight', message: 'must be an integer, not a string' },
      { path: 'upstream.targets[1]', message: 'must be an object, not a string' },
      { path: 'upstream.timeouts.connectMs', message: 'must be an integer, not a fraction' },
      { path: 'upstream.timeouts.requestMs', message: 'must be an integer, not null' },
    ]);
  });

  it.each([
    ['upstream', 'http://a', 'must be an object, not a string'],
    ['upstream', null, 'must be an object, not null'],
  ])('rejects %s = %j', (key, value, message) => {
    expect(problemsOf(withTop({ [key]: value }))).toEqual([{ path: key, message }]);
  });

  it('rejects non-array targets and non-object timeouts', () => {
    expect(problemsOf(withTop({ upstream: { targets: { url: 'http://a' }, timeouts: 5 } }))).toEqual([
      { path: 'upstream.targets', message: 'must be an array, not an object' },
      { path: 'upstream.timeouts', message: 'must be an object, not a number' },
    ]);
  });
});

describe('validateApiDefinition: unknown fields', () => {
  it('rejects unknown fields at every level with their own path', () => {
    expect(
      problemsOf({
        ...SMALLEST,
        extra: 1,
        upstream: { targets: [{ url: 'http://a', wieght: 2 }], timeouts: { readMs: 5 }, retry: 3 },
      }),
    ).toEqual([
      { path: 'upstream.targets[0].wieght', message: 'unknown field' },
      { path: 'upstream.timeouts.readMs', message: 'unknown field' },
      { path: 'upstream.retry', message: 'unknown field' },
      { path: 'extra', message: 'unknown field' },
    ]);
  });

  it('treats an own "__proto__" key from JSON as an unknown field', () => {
    expect(pathsOf(JSON.parse('{"name":"orders","basePath":"/orders","upstream":{"targets":[{"url":"http://a"}]},"__proto__":{"x":1}}'))).toEqual([
      '__proto__',
    ]);
  });
});

describe('validateApiDefinition: name', () => {
  it.each(['Orders', '-orders', 'orders-', 'or_ders', 'or ders', '', 'ördérs'])('rejects %j', (name) => {
    expect(pathsOf(withTop({ name }))).toEqual(['name']);
  });

  it('accepts single characters and inner hyphens', () => {
    expect(isValidApiName('a')).toBe(true);
    expect(isValidApiName('0')).toBe(true);
    expect(isValidApiName('a--b')).toBe(true);
  });

  it('rejects a 64-character name', () => {
    expect(problemsOf(withTop({ name: 'a'.repeat(64) }))).toEqual([{ path: 'name', message: 'must be at most 63 characters' }]);
    expect(isValidApiName('a'.repeat(64))).toBe(false);
  });

  it('rejects a body name that differs from expectedName', () => {
    expect(problemsOf(SMALLEST, { expectedName: 'payments' })).toEqual([
      { path: 'name', message: 'must match the name in the request path ("payments")' },
    ]);
  });

  it('rejects an invalid expectedName when the body omits the name', () => {
    const { name: _omitted, ...rest } = SMALLEST;
    expect(pathsOf(rest, { expectedName: 'Bad_Name' })).toEqual(['name']);
  });
});

describe('validateApiDefinition: basePath', () => {
  it.each([
    ['orders', 'must start with "/"'],
    ['', 'must start with "/"'],
    ['/orders/', 'must not end with "/" (except the root path "/")'],
    ['/a//b', 'must not contain empty segments ("//")'],
    ['//', 'must not end with "/" (except the root path "/")'],
    ['/a/./b', 'must not contain "." or ".." segments'],
    ['/a/..', 'must not contain "." or ".." segments'],
    ['/a?b=1', 'must not contain a query ("?") or fragment ("#")'],
    ['/a#top', 'must not contain a query ("?") or fragment ("#")'],
    ['/a%2Fb', 'must not contain percent-encoding ("%"); write the characters themselves'],
  ])('rejects %j', (basePath, message) => {
    expect(problemsOf(withTop({ basePath }))).toEqual([{ path: 'basePath', message }]);
  });

  it.each(['/a b', '/a"b', '/a<b', '/a\\b', '/ä', '/a\nb', '/a[0]', '/a|b', '/a{b}', '/a^b', '/a`b'])('rejects the non-pchar character in %j', (basePath) => {
    expect(problemsOf(withTop({ basePath }))).toEqual([{ path: 'basePath', message: expect.stringMatching(/^must not contain ".+": only letters/) }]);
  });

  it('accepts "..." and ".hidden" segments, which are not dot segments', () => {
    expect(normalized(withTop({ basePath: '/.../.hidden' })).basePath).toBe('/.../.hidden');
  });

  it('rejects a base path over 1024 characters', () => {
    expect(problemsOf(withTop({ basePath: '/' + 'x'.repeat(1024) }))).toEqual([{ path: 'basePath', message: 'must be at most 1024 characters' }]);
  });
});

describe('validateApiDefinition: hosts', () => {
  it.each([
    ['-a.example', 'must be a DNS host name: labels are letters, digits and "-", not starting or ending with "-"'],
    ['a-.example', 'must be a DNS host name: labels are letters, digits and "-", not starting or ending with "-"'],
    ['a_b.example', 'must be a DNS host name: labels are letters, digits and "-", not starting or ending with "-"'],
    ['a.*.example', 'may only use "*" as a whole leading label ("*.example.com")'],
    ['*a.example', 'may only use "*" as a whole leading label ("*.example.com")'],
    ['*.*.example', 'may only use "*" as a whole leading label ("*.example.com")'],
    ['*', 'must not be "*" alone: leave hosts empty to serve any host'],
    ['*.', 'must not be empty'],
    ['a.example:8080', 'must be a DNS host name: labels are letters, digits and "-", not starting or ending with "-"'],
    ['a..example', 'must be a DNS host name: empty label (leading, trailing or double ".")'],
    ['a.example.', 'must be a DNS host name: empty label (leading, trailing or double ".")'],
    ['', 'must not be empty'],
    [`${'a'.repeat(64)}.example`, 'must be a DNS host name: labels are at most 63 characters'],
  ])('rejects %j', (host, message) => {
    expect(problemsOf(withTop({ hosts: ['ok.example', host] }))).toEqual([{ path: 'hosts[1]', message }]);
  });

  it('rejects a host name over 253 characters', () => {
    const host = Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.'); // 255 characters
    expect(problemsOf(withTop({ hosts: [host] }))).toEqual([{ path: 'hosts[0]', message: 'must be at most 253 characters' }]);
  });

  it('rejects duplicates after lower-casing, pointing at the first occurrence', () => {
    expect(problemsOf(withTop({ hosts: ['a.example', 'b.example', 'A.Example'] }))).toEqual([
      { path: 'hosts[2]', message: 'duplicates hosts[0] ("a.example")' },
    ]);
  });

  it('rejects non-string items at their index', () => {
    expect(problemsOf(withTop({ hosts: ['a.example', 3, null] }))).toEqual([
      { path: 'hosts[1]', message: 'must be a string, not a number' },
      { path: 'hosts[2]', message: 'must be a string, not null' },
    ]);
  });

  it('rejects more than 100 hosts as a whole', () => {
    expect(problemsOf(withTop({ hosts: Array.from({ length: 101 }, (_, i) => `h${i}.example`) }))).toEqual([
      { path: 'hosts', message: 'must have at most 100 items' },
    ]);
  });
});

describe('validateApiDefinition: upstream targets', () => {
  it('requires at least one target', () => {
    expect(problemsOf(withTop({ upstream: { targets: [] } }))).toEqual([{ path: 'upstream.targets', message: 'must have at least 1 item' }]);
  });

  it('rejects 513 targets', () => {
    const targets = Array.from({ length: 513 }, () => ({ url: 'http://a' }));
    expect(problemsOf(withTop({ upstream: { targets } }))).toEqual([{ path: 'upstream.targets', message: 'must have at most 512 items' }]);
  });

  it.each([
    ['ftp://a.example', 'must be an absolute URL starting with http:// or https://'],
    ['10.0.0.7:8080', 'must be an absolute URL starting with http:// or https://'],
    ['http:10.0.0.7', 'must be an absolute URL starting with http:// or https://'],
    ['/relative', 'must be an absolute URL starting with http:// or https://'],
    ['http://', 'must be a valid URL'],
    ['http://exa mple', 'must not contain whitespace, control characters or "\\"'],
    [' http://a', 'must be an absolute URL starting with http:// or https://'],
    ['http://a\\b', 'must not contain whitespace, control characters or "\\"'],
    ['http://a/?x=1', 'must not contain a query ("?")'],
    ['http://a/?', 'must not contain a query ("?")'],
    ['http://a/#f', 'must not contain a fragment ("#")'],
    ['http://user:pw@a.example', 'must not contain credentials (user:password@)'],
    ['http://@a.example', 'must not contain credentials (user:password@)'],
    ['http://a.example:99999', 'must be a valid URL'],
    ['http://a.example:0', 'must not use port 0'],
  ])('rejects url %j', (url, message) => {
    expect(problemsOf(withTarget({ url }))).toEqual([{ path: 'upstream.targets[0].url', message }]);
  });

  it('rejects a url over 2048 characters', () => {
    const url = 'http://a.example/' + 'p'.repeat(2048);
    expect(problemsOf(withTarget({ url }))).toEqual([{ path: 'upstream.targets[0].url', message: 'must be at most 2048 characters' }]);
  });

  it.each([0, -1, 1001])('rejects weight %j', (weight) => {
    expect(problemsOf(withTarget({ url: 'http://a', weight }))).toEqual([
      { path: 'upstream.targets[0].weight', message: 'must be between 1 and 1000' },
    ]);
  });

  it('reports problems of several targets by index', () => {
    expect(pathsOf(withTop({ upstream: { targets: [{ url: 'http://a' }, { url: 'nope' }, { url: 'http://c', weight: 0 }] } }))).toEqual([
      'upstream.targets[1].url',
      'upstream.targets[2].weight',
    ]);
  });
});

describe('validateApiDefinition: timeouts', () => {
  it.each([
    ['connectMs', 0],
    ['connectMs', 3_600_001],
    ['requestMs', -5],
  ])('rejects %s = %j', (key, value) => {
    expect(problemsOf(withTop({ upstream: { targets: [{ url: 'http://a' }], timeouts: { [key]: value } } }))).toEqual([
      { path: `upstream.timeouts.${key}`, message: 'must be between 1 and 3600000' },
    ]);
  });
});

describe('validateApiDefinition: many problems', () => {
  it('reports problems from every part of the body in one answer, deterministically', () => {
    const input = {
      name: 'Bad',
      basePath: 'orders/',
      hosts: ['ok.example', 'bad_host'],
      stripBasePath: 1,
      upstream: { targets: [{ url: 'http://a?x' }, { url: 'http://b', weight: 0, extra: true }], timeouts: { connectMs: 0 } },
      comment: 'hi',
    };
    const expected = [
      'name',
      'basePath',
      'hosts[1]',
      'stripBasePath',
      'upstream.targets[0].url',
      'upstream.targets[1].weight',
      'upstream.targets[1].extra',
      'upstream.timeouts.connectMs',
      'comment',
    ];
    expect(pathsOf(input)).toEqual(expected);
    expect(pathsOf(structuredClone(input))).toEqual(expected);
  });

  it(`caps the report at ${MAX_REPORTED_PROBLEMS} problems and says so`, () => {
    const input: Record<string, unknown> = withTop({});
    for (let i = 0; i < 500; i++) input[`x${i}`] = i;
    const problems = problemsOf(input);
    expect(problems).toHaveLength(MAX_REPORTED_PROBLEMS + 1);
    expect(problems[0]).toEqual({ path: 'x0', message: 'unknown field' });
    expect(problems.at(-1)).toEqual({ path: '', message: `too many problems; only the first ${MAX_REPORTED_PROBLEMS} are reported` });
  });
});

describe('validateApiDefinition: the compiled schema', () => {
  /** The declaration's own (uncompiled) zod parser, worded as validateApiDefinition words it. */
  function uncompiled(input: unknown): ReturnType<typeof validateApiDefinition> {
    const parsed = ApiDefinitionSchema.safeParse(input, { error: gatewayWording, reportInput: true });
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: problemsFromIssues(parsed.error.issues) };
  }

  it('property: gives exactly what the uncompiled schema gives, valid or not (value, or every problem and its wording)', () => {
    let valid = 0;
    fc.assert(
      fc.property(damagedInputs, (input) => {
        const compiled = validateApiDefinition(input);
        expect(compiled).toStrictEqual(uncompiled(input));
        if (compiled.ok) valid++;
      }),
      { numRuns: 400 },
    );
    // Both sides of the comparison were exercised.
    expect(valid).toBeGreaterThan(40);
    expect(valid).toBeLessThan(360);
  });
});
