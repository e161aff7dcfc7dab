import {
  API_DEFAULTS,
  API_LIMITS,
  LOAD_BALANCING_ALGORITHMS,
  RETRY_FAILURE_CONDITIONS,
  type CircuitBreaker,
  type HashOn,
  type HealthCheck,
  type LoadBalancing,
  type LoadBalancingAlgorithm,
  type OutlierDetection,
  type Retries,
  type RetryCondition,
  type TargetDefinition,
  type Timeouts,
  type UpstreamDefinition,
} from './api-definition.js';
import {
  ProblemList,
  checkIntegerFields,
  checkOptionalBoolean,
  checkOptionalInteger,
  checkOptionalObject,
  describeType,
  field,
  isObject,
  join,
  rejectUnknownFields,
  type JsonObject,
} from './field-checks.js';
import { dnsNameProblem } from './host-pattern.js';

const UPSTREAM_FIELDS = ['targets', 'loadBalancing', 'timeouts', 'retries', 'healthCheck', 'outlierDetection', 'circuitBreaker', 'hostRewrite'] as const;
const TARGET_FIELDS = ['url', 'weight', 'zone'] as const;
const LOAD_BALANCING_FIELDS = ['algorithm', 'hashOn', 'zoneAware', 'minZoneHealthyPercent'] as const;
/** RFC 9110 `token`: what a header or cookie name may be made of. */
const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ZONE_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** Characters a target URL must not contain: WHATWG parsing would silently drop or reinterpret them. */
const URL_FORBIDDEN_CHARS = /[\u0000-\u0020\u007f\\]/;
const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Origin-form path and optional query for health checks: visible ASCII, no fragment. */
const HEALTH_PATH_PATTERN = /^\/[\x21-\x22\x24-\x7e]*$/;
const HOUR = API_LIMITS.timeoutMaxMs;

export function checkUpstream(value: unknown, problems: ProblemList): UpstreamDefinition | undefined {
  if (value === undefined) {
    problems.add('upstream', 'is required');
    return undefined;
  }
  if (!isObject(value)) {
    problems.add('upstream', `must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const targets = checkTargets(field(value, 'targets'), problems);
  const loadBalancing = checkLoadBalancing(field(value, 'loadBalancing'), problems);
  const timeouts = checkTimeouts(field(value, 'timeouts'), problems);
  const retries = checkRetries(field(value, 'retries'), problems);
  const healthCheck = checkHealthCheck(field(value, 'healthCheck'), problems);
  const outlierDetection = checkOutlierDetection(field(value, 'outlierDetection'), problems);
  const circuitBreaker = checkCircuitBreaker(field(value, 'circuitBreaker'), problems);
  const hostRewrite = checkHostRewrite(field(value, 'hostRewrite'), problems);
  rejectUnknownFields(value, UPSTREAM_FIELDS, 'upstream', problems);
  if (
    targets === undefined ||
    loadBalancing === undefined ||
    timeouts === undefined ||
    retries === undefined ||
    healthCheck === undefined ||
    outlierDetection === undefined ||
    circuitBreaker === undefined ||
    hostRewrite === undefined
  ) {
    return undefined;
  }
  return { targets, loadBalancing, timeouts, retries, healthCheck, outlierDetection, circuitBreaker, hostRewrite };
}

function checkTargets(value: unknown, problems: ProblemList): TargetDefinition[] | undefined {
  const path = 'upstream.targets';
  if (value === undefined) {
    problems.add(path, 'is required');
    return undefined;
  }
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    problems.add(path, 'must have at least 1 item');
    return undefined;
  }
  if (value.length > API_LIMITS.targetsMax) {
    problems.add(path, `must have at most ${API_LIMITS.targetsMax} items`);
    return undefined;
  }
  const targets: TargetDefinition[] = [];
  let valid = true;
  value.forEach((item: unknown, i) => {
    const target = checkTarget(item, `${path}[${i}]`, problems);
    if (target === undefined) valid = false;
    else targets.push(target);
  });
  return valid ? targets : undefined;
}

function checkTarget(value: unknown, path: string, problems: ProblemList): TargetDefinition | undefined {
  if (!isObject(value)) {
    problems.add(path, `must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const before = problems.count;
  const url = checkTargetUrl(field(value, 'url'), join(path, 'url'), problems);
  const weight = checkOptionalInteger(field(value, 'weight'), join(path, 'weight'), 1, API_LIMITS.weightMax, problems);
  const zone = checkZone(field(value, 'zone'), join(path, 'zone'), problems);
  rejectUnknownFields(value, TARGET_FIELDS, path, problems);
  if (url === undefined || weight === null || zone === undefined || problems.count !== before) return undefined;
  return { url, weight: weight ?? API_DEFAULTS.weight, zone };
}

function checkZone(value: unknown, path: string, problems: ProblemList): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems.add(path, `must be a string or null, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > API_LIMITS.zoneMaxLength || !ZONE_PATTERN.test(value)) {
    problems.add(path, `must be 1-${API_LIMITS.zoneMaxLength} letters, digits, ".", "_" and "-" (the runtimes' ZONE), starting and ending with a letter or digit`);
    return undefined;
  }
  return value;
}

function checkTargetUrl(value: unknown, path: string, problems: ProblemList): string | undefined {
  const result = normalizeTargetUrl(value);
  if (typeof result === 'object') {
    problems.add(path, result.problem);
    return undefined;
  }
  return result;
}

/**
 * The target URL normalized as `scheme://host[:port][/path]`: WHATWG parsing lower-cases
 * the host, drops a default port and resolves dot segments; trailing slashes are removed
 * so joining the request path never doubles them (a root path becomes '').
 */
function normalizeTargetUrl(value: unknown): string | { problem: string } {
  if (value === undefined) return { problem: 'is required' };
  if (typeof value !== 'string') return { problem: `must be a string, not ${describeType(value)}` };
  if (value.length > API_LIMITS.urlMaxLength) return { problem: `must be at most ${API_LIMITS.urlMaxLength} characters` };
  // WHATWG parsing accepts "http:host" and "http:\\host"; insist on the plain form operators expect.
  if (!/^https?:\/\//i.test(value)) return { problem: 'must be an absolute URL starting with http:// or https://' };
  if (URL_FORBIDDEN_CHARS.test(value)) return { problem: 'must not contain whitespace, control characters or "\\"' };
  if (value.includes('?')) return { problem: 'must not contain a query ("?")' };
  if (value.includes('#')) return { problem: 'must not contain a fragment ("#")' };
  const authority = value.slice(value.indexOf('//') + 2).split('/')[0] ?? '';
  // Checked on the raw text: "http://@host" parses with an empty user name and would slip through.
  if (authority.includes('@')) return { problem: 'must not contain credentials (user:password@)' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'must be a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'must use http or https' };
  if (url.hostname === '') return { problem: 'must have a host name' };
  if (url.port === '0') return { problem: 'must not use port 0' };
  const pathname = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${pathname}`;
}

function checkLoadBalancing(value: unknown, problems: ProblemList): LoadBalancing | undefined {
  const path = 'upstream.loadBalancing';
  const d = API_DEFAULTS.loadBalancing;
  const obj = checkOptionalObject(value, path, false, problems);
  if (obj === undefined || obj === 'null') return undefined;
  if (obj === 'absent') return { algorithm: d.algorithm, hashOn: null, zoneAware: d.zoneAware, minZoneHealthyPercent: d.minZoneHealthyPercent };
  const before = problems.count;
  const algorithm = checkAlgorithm(field(obj, 'algorithm'), join(path, 'algorithm'), problems);
  const hashOn = checkHashOn(field(obj, 'hashOn'), join(path, 'hashOn'), problems);
  const zoneAware = checkOptionalBoolean(field(obj, 'zoneAware'), join(path, 'zoneAware'), problems);
  const minZoneHealthyPercent = checkOptionalInteger(field(obj, 'minZoneHealthyPercent'), join(path, 'minZoneHealthyPercent'), 0, 100, problems);
  rejectUnknownFields(obj, LOAD_BALANCING_FIELDS, path, problems);
  if (problems.count !== before || algorithm === undefined || hashOn === undefined) return undefined;
  if (algorithm === 'consistent-hash' && hashOn === null) {
    problems.add(join(path, 'hashOn'), 'is required with algorithm "consistent-hash": {"header": name}, {"cookie": name} or {"clientIp": true}');
    return undefined;
  }
  if (algorithm !== 'consistent-hash' && hashOn !== null) {
    problems.add(join(path, 'hashOn'), `must be null unless algorithm is "consistent-hash" (it is "${algorithm}")`);
    return undefined;
  }
  return {
    algorithm,
    hashOn,
    zoneAware: zoneAware ?? d.zoneAware,
    minZoneHealthyPercent: minZoneHealthyPercent ?? d.minZoneHealthyPercent,
  };
}

function checkAlgorithm(value: unknown, path: string, problems: ProblemList): LoadBalancingAlgorithm | undefined {
  if (value === undefined) return API_DEFAULTS.loadBalancing.algorithm;
  if (typeof value !== 'string' || !(LOAD_BALANCING_ALGORITHMS as readonly string[]).includes(value)) {
    problems.add(path, `must be one of ${LOAD_BALANCING_ALGORITHMS.map((a) => `"${a}"`).join(', ')}`);
    return undefined;
  }
  return value as LoadBalancingAlgorithm;
}

const HASH_ON_MESSAGE = 'must be an object with exactly one of "header" (a header name), "cookie" (a cookie name) or "clientIp": true';

function checkHashOn(value: unknown, path: string, problems: ProblemList): HashOn | null | undefined {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) {
    problems.add(path, `${HASH_ON_MESSAGE}, not ${describeType(value)}`);
    return undefined;
  }
  const keys = Object.keys(value);
  const key = keys[0];
  if (keys.length !== 1 || (key !== 'header' && key !== 'cookie' && key !== 'clientIp')) {
    problems.add(path, HASH_ON_MESSAGE);
    return undefined;
  }
  const v = value[key];
  const at = join(path, key);
  if (key === 'clientIp') {
    if (v !== true) {
      problems.add(at, 'must be true');
      return undefined;
    }
    return { clientIp: true };
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > API_LIMITS.hashKeyNameMaxLength || !TOKEN_PATTERN.test(v)) {
    problems.add(at, `must be a ${key} name: 1-${API_LIMITS.hashKeyNameMaxLength} token characters (letters, digits and !#$%&'*+-.^_\`|~)`);
    return undefined;
  }
  // Header names are case-insensitive (Node hands them over lower-cased); cookie names are not.
  return key === 'header' ? { header: v.toLowerCase() } : { cookie: v };
}

function checkTimeouts(value: unknown, problems: ProblemList): Timeouts | undefined {
  const path = 'upstream.timeouts';
  const obj = checkOptionalObject(value, path, false, problems);
  if (obj === undefined || obj === 'null') return undefined;
  const given =
    obj === 'absent'
      ? {}
      : checkIntegerFields(
          obj,
          path,
          [
            ['connectMs', 1, HOUR],
            ['requestMs', 1, HOUR],
            ['totalMs', 1, HOUR],
          ],
          [],
          problems,
        );
  if (given === undefined) return undefined;
  const connectMs = given.connectMs ?? API_DEFAULTS.connectTimeoutMs;
  const requestMs = given.requestMs ?? API_DEFAULTS.requestTimeoutMs;
  const totalMs = upperBound(given.totalMs, API_DEFAULTS.totalTimeoutMs, ['totalMs', 'requestMs', requestMs], path, problems);
  if (totalMs === undefined) return undefined;
  return { connectMs, requestMs, totalMs };
}

function checkRetries(value: unknown, problems: ProblemList): Retries | undefined {
  const path = 'upstream.retries';
  const d = API_DEFAULTS.retries;
  const obj = checkOptionalObject(value, path, false, problems);
  if (obj === undefined || obj === 'null') return undefined;
  if (obj === 'absent') return { ...d, on: [...d.on] };
  const on = checkRetryOn(field(obj, 'on'), join(path, 'on'), problems);
  const given = checkIntegerFields(
    obj,
    path,
    [
      ['attempts', 0, API_LIMITS.retryAttemptsMax],
      ['backoffBaseMs', 1, HOUR],
      ['backoffMaxMs', 1, HOUR],
      ['budgetPercent', 0, 100],
      ['budgetMinPerSecond', 0, API_LIMITS.budgetMinPerSecondMax],
    ],
    ['on'],
    problems,
  );
  if (given === undefined || on === undefined) return undefined;
  const backoffBaseMs = given.backoffBaseMs ?? d.backoffBaseMs;
  const backoffMaxMs = upperBound(given.backoffMaxMs, d.backoffMaxMs, ['backoffMaxMs', 'backoffBaseMs', backoffBaseMs], path, problems);
  if (backoffMaxMs === undefined) return undefined;
  return {
    attempts: given.attempts ?? d.attempts,
    on,
    backoffBaseMs,
    backoffMaxMs,
    budgetPercent: given.budgetPercent ?? d.budgetPercent,
    budgetMinPerSecond: given.budgetMinPerSecond ?? d.budgetMinPerSecond,
  };
}

function isRetryCondition(value: string): value is RetryCondition {
  return (RETRY_FAILURE_CONDITIONS as readonly string[]).includes(value) || /^5\d\d$/.test(value);
}

function checkRetryOn(value: unknown, path: string, problems: ProblemList): RetryCondition[] | undefined {
  if (value === undefined) return [...API_DEFAULTS.retries.on];
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  const out: RetryCondition[] = [];
  const before = problems.count;
  value.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof item !== 'string' || !isRetryCondition(item)) {
      problems.add(at, `must be "connect-failure", "reset", "timeout" or a status "500"-"599" as a string`);
    } else if (out.includes(item)) problems.add(at, `duplicates ${path}[${out.indexOf(item)}] ("${item}")`);
    else out.push(item);
  });
  return problems.count === before ? out : undefined;
}

function checkHealthCheck(value: unknown, problems: ProblemList): HealthCheck | null | undefined {
  const path = 'upstream.healthCheck';
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'absent' || obj === 'null') return null;
  const d = API_DEFAULTS.healthCheck;
  const checkPath = checkHealthPath(field(obj, 'path'), join(path, 'path'), problems);
  const given = checkIntegerFields(
    obj,
    path,
    [
      ['intervalMs', 1, HOUR],
      ['timeoutMs', 1, HOUR],
      ['healthyThreshold', 1, API_LIMITS.thresholdMax],
      ['unhealthyThreshold', 1, API_LIMITS.thresholdMax],
    ],
    ['path'],
    problems,
  );
  if (given === undefined || checkPath === undefined) return undefined;
  const intervalMs = given.intervalMs ?? d.intervalMs;
  const timeoutMs = given.timeoutMs ?? Math.min(d.timeoutMs, intervalMs);
  if (timeoutMs > intervalMs) {
    problems.add(join(path, 'timeoutMs'), `must be at most intervalMs (${intervalMs})`);
    return undefined;
  }
  return {
    path: checkPath,
    intervalMs,
    timeoutMs,
    healthyThreshold: given.healthyThreshold ?? d.healthyThreshold,
    unhealthyThreshold: given.unhealthyThreshold ?? d.unhealthyThreshold,
  };
}

function checkHealthPath(value: unknown, path: string, problems: ProblemList): string | undefined {
  if (value === undefined) return API_DEFAULTS.healthCheck.path;
  if (typeof value !== 'string') {
    problems.add(path, `must be a string, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > API_LIMITS.healthCheckPathMaxLength) {
    problems.add(path, `must be at most ${API_LIMITS.healthCheckPathMaxLength} characters`);
    return undefined;
  }
  if (!HEALTH_PATH_PATTERN.test(value) || value.startsWith('//')) {
    problems.add(path, 'must be a path starting with a single "/" (a query may follow), visible ASCII without "#"');
    return undefined;
  }
  return value;
}

function checkOutlierDetection(value: unknown, problems: ProblemList): OutlierDetection | null | undefined {
  const path = 'upstream.outlierDetection';
  const d = API_DEFAULTS.outlierDetection;
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'null') return null;
  const given = obj === 'absent' ? {} : outlierFields(obj, path, problems);
  if (given === undefined) return undefined;
  const baseEjectionMs = given.baseEjectionMs ?? d.baseEjectionMs;
  const maxEjectionMs = upperBound(given.maxEjectionMs, d.maxEjectionMs, ['maxEjectionMs', 'baseEjectionMs', baseEjectionMs], path, problems);
  if (maxEjectionMs === undefined) return undefined;
  return {
    consecutiveFailures: given.consecutiveFailures ?? d.consecutiveFailures,
    baseEjectionMs,
    maxEjectionMs,
    maxEjectionPercent: given.maxEjectionPercent ?? d.maxEjectionPercent,
  };
}

function outlierFields(obj: JsonObject, path: string, problems: ProblemList) {
  return checkIntegerFields(
    obj,
    path,
    [
      ['consecutiveFailures', 1, API_LIMITS.consecutiveFailuresMax],
      ['baseEjectionMs', 1, HOUR],
      ['maxEjectionMs', 1, HOUR],
      ['maxEjectionPercent', 0, 100],
    ],
    [],
    problems,
  );
}

function checkCircuitBreaker(value: unknown, problems: ProblemList): CircuitBreaker | null | undefined {
  const path = 'upstream.circuitBreaker';
  const d = API_DEFAULTS.circuitBreaker;
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'null') return null;
  const given =
    obj === 'absent'
      ? {}
      : checkIntegerFields(
          obj,
          path,
          [
            ['maxConcurrent', 1, API_LIMITS.breakerCountMax],
            ['maxPending', 0, API_LIMITS.breakerCountMax],
            ['failureRatePercent', 1, 100],
            ['windowMs', 1, HOUR],
            ['minRequests', 1, API_LIMITS.breakerCountMax],
            ['openMs', 1, HOUR],
            ['halfOpenRequests', 1, API_LIMITS.halfOpenRequestsMax],
          ],
          [],
          problems,
        );
  if (given === undefined) return undefined;
  return {
    maxConcurrent: given.maxConcurrent ?? d.maxConcurrent,
    maxPending: given.maxPending ?? d.maxPending,
    failureRatePercent: given.failureRatePercent ?? d.failureRatePercent,
    windowMs: given.windowMs ?? d.windowMs,
    minRequests: given.minRequests ?? d.minRequests,
    openMs: given.openMs ?? d.openMs,
    halfOpenRequests: given.halfOpenRequests ?? d.halfOpenRequests,
  };
}

/** `host` or `host:port`: a DNS name or IPv4 address, or a bracketed IPv6 literal; lower-cased. */
function checkHostRewrite(value: unknown, problems: ProblemList): string | null | undefined {
  const path = 'upstream.hostRewrite';
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems.add(path, `must be a string or null, not ${describeType(value)}`);
    return undefined;
  }
  const message = hostHeaderProblem(value.toLowerCase());
  if (message !== undefined) {
    problems.add(path, message);
    return undefined;
  }
  return value.toLowerCase();
}

function hostHeaderProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty (use null to keep the target\'s host)';
  if (value.length > API_LIMITS.hostMaxLength + 6) return `must be at most ${API_LIMITS.hostMaxLength + 6} characters`;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (m === null) return 'must be a host name, IPv4 address or [IPv6] literal, optionally with ":port"';
  const host = m[1]!;
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535 || port.startsWith('0'))) return 'must have a port between 1 and 65535';
  if (host.startsWith('[')) {
    // Let the URL parser judge the IPv6 literal, the same parser Node's HTTP client relies on.
    try {
      const canonical = new URL(`http://${host}/`).hostname;
      if (canonical !== host) return `must be an IPv6 literal in canonical form (${canonical})`;
    } catch {
      return 'must be a valid IPv6 literal in brackets';
    }
    return undefined;
  }
  if (IPV4_PATTERN.test(host)) return undefined;
  const dns = dnsNameProblem(host);
  return dns === undefined ? undefined : dns.replace('must be a DNS host name', 'must be a host name');
}

/**
 * A field that must not be below another (`totalMs` ≥ `requestMs`, ...). When omitted it
 * defaults to its own default raised to the lower field, so a partly given block always
 * stays consistent; when given below it, that is a problem at the field.
 */
function upperBound(
  given: number | undefined,
  fallback: number,
  [name, lowerName, lower]: [string, string, number],
  path: string,
  problems: ProblemList,
): number | undefined {
  const value = given ?? Math.max(fallback, lower);
  if (value < lower) {
    problems.add(join(path, name), `must be at least ${lowerName} (${lower})`);
    return undefined;
  }
  return value;
}
