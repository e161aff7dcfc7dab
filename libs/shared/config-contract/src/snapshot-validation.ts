import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { hashSnapshotContent } from './snapshot-hash.js';
import { checkRateLimitList, checkSnapshotPolicies } from './snapshot-policy-validation.js';
import {
  SNAPSHOT_HASH_SOURCES,
  SNAPSHOT_LOAD_BALANCING_ALGORITHMS,
  SNAPSHOT_RETRY_FAILURE_CONDITIONS,
  type Snapshot,
  type SnapshotApi,
  type SnapshotContent,
  type SnapshotRoute,
  type SnapshotUpstream,
} from './snapshot.js';

export interface SnapshotProblem {
  /** Where in the content, e.g. `apis[2].upstream.targets[0].url`. */
  path: string;
  message: string;
}

export type SnapshotVerdict =
  | { ok: true }
  | { ok: false; code: ErrorCode; message: string; problems: SnapshotProblem[] };

const NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOST_RE = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const ROUTE_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
const PARAM_RE = /^:[A-Za-z_][A-Za-z0-9_]*$/;
const STATIC_SEGMENT_RE = /^[A-Za-z0-9\-._~!$&'()+,;=@]+$/;
const ZONE_RE = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOST_HEADER_RE = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[1-9]\d{0,4})?$/;
const HEALTH_PATH_RE = /^\/[\x21-\x22\x24-\x7e]*$/;
const RETRY_STATUS_RE = /^5\d\d$/;
const ANY_METHOD = '*';
const HOUR = 3_600_000;
const MILLION = 1_000_000;

/**
 * Checks everything a runtime relies on before it swaps tables. The controller's
 * validation should make every problem here impossible; this is the runtime's own
 * line of defence against a bad or tampered snapshot (promise 3: never a bad config).
 * It checks types, ranges, the disabled forms (`enabled: false` with zero values) and
 * the invariants the compiler guarantees (sorted, unique), so a snapshot the runtime
 * accepts always has one canonical form.
 */
export function validateSnapshotContent(content: SnapshotContent): SnapshotProblem[] {
  const problems: SnapshotProblem[] = [];
  if (content === null || typeof content !== 'object' || !Array.isArray(content.apis)) {
    return [{ path: 'apis', message: 'must be a list' }];
  }
  const names = new Set<string>();
  const claims = new Set<string>();
  content.apis.forEach((api, i) => {
    const at = `apis[${i}]`;
    if (api === null || typeof api !== 'object') {
      problems.push({ path: at, message: 'must be an object' });
      return;
    }
    if (typeof api.name !== 'string' || !NAME_RE.test(api.name) || api.name.length > 63) problems.push({ path: `${at}.name`, message: 'must be a valid API name' });
    else if (names.has(api.name)) problems.push({ path: `${at}.name`, message: `duplicate API name "${api.name}"` });
    else names.add(api.name);
    if (typeof api.basePath !== 'string' || !api.basePath.startsWith('/') || (api.basePath.length > 1 && api.basePath.endsWith('/'))) {
      problems.push({ path: `${at}.basePath`, message: 'must start with "/" and not end with "/"' });
    }
    if (typeof api.stripBasePath !== 'boolean') problems.push({ path: `${at}.stripBasePath`, message: 'must be a boolean' });
    checkHosts(api, at, claims, problems);
    checkRoutes(api.routes, `${at}.routes`, problems);
    checkUpstream(api.upstream, `${at}.upstream`, problems);
    // Absent (a snapshot of an earlier version, e.g. a runtime's cache file): no policies.
    if (api.policies !== undefined) checkSnapshotPolicies(api.policies, at, problems);
  });
  return problems;
}

function checkHosts(api: SnapshotApi, at: string, claims: Set<string>, problems: SnapshotProblem[]): void {
  if (!Array.isArray(api.hosts)) {
    problems.push({ path: `${at}.hosts`, message: 'must be a list' });
    return;
  }
  api.hosts.forEach((h, j) => {
    if (typeof h !== 'string' || h.length > 253 || !HOST_RE.test(h)) problems.push({ path: `${at}.hosts[${j}]`, message: 'must be a lower-case host name or "*." wildcard' });
    else if (j > 0 && !(api.hosts[j - 1]! < h)) problems.push({ path: `${at}.hosts[${j}]`, message: 'hosts must be sorted and unique' });
  });
  for (const host of api.hosts.length ? api.hosts : ['']) {
    const key = `${host} ${api.basePath}`;
    if (claims.has(key)) problems.push({ path: `${at}.basePath`, message: `route ${host || 'any host'}${api.basePath} is claimed twice` });
    claims.add(key);
  }
}

function checkRoutes(routes: SnapshotRoute[], at: string, problems: SnapshotProblem[]): void {
  if (!Array.isArray(routes)) {
    problems.push({ path: at, message: 'must be a list' });
    return;
  }
  if (routes.length > 256) problems.push({ path: at, message: 'must hold at most 256 routes' });
  const byShape = new Map<string, Map<string, string>>();
  routes.forEach((r, j) => {
    const rat = `${at}[${j}]`;
    if (r === null || typeof r !== 'object') {
      problems.push({ path: rat, message: 'must be an object' });
      return;
    }
    if (typeof r.name !== 'string' || !NAME_RE.test(r.name) || r.name.length > 63) problems.push({ path: `${rat}.name`, message: 'must be a valid route name' });
    else if (j > 0 && !(routes[j - 1]!.name < r.name)) problems.push({ path: `${rat}.name`, message: 'routes must be sorted by name, names unique' });
    if (r.rateLimits !== undefined) checkRateLimitList(r.rateLimits, `${rat}.rateLimits`, problems);
    const pathProblem = routePathProblem(r.path);
    if (pathProblem !== undefined) problems.push({ path: `${rat}.path`, message: pathProblem });
    if (!Array.isArray(r.methods)) {
      problems.push({ path: `${rat}.methods`, message: 'must be a list' });
      return;
    }
    r.methods.forEach((m, k) => {
      if (typeof m !== 'string' || !ROUTE_METHODS.has(m)) problems.push({ path: `${rat}.methods[${k}]`, message: `must be one of ${[...ROUTE_METHODS].join(', ')}` });
      else if (k > 0 && !(r.methods[k - 1]! < m)) problems.push({ path: `${rat}.methods[${k}]`, message: 'methods must be sorted and unique' });
    });
    if (pathProblem !== undefined) return;
    // A router refuses two handlers for one method and path shape, and `/:id` and `/:name` are one shape.
    const shape = r.path
      .split('/')
      .map((s) => (s.startsWith(':') ? ':' : s))
      .join('/');
    const seen = byShape.get(shape) ?? new Map<string, string>();
    const methods = r.methods.length === 0 ? [ANY_METHOD] : r.methods;
    for (const m of methods) {
      const clash = m === ANY_METHOD ? seen.values().next().value : (seen.get(m) ?? seen.get(ANY_METHOD));
      if (clash !== undefined) {
        problems.push({ path: rat, message: `serves ${m === ANY_METHOD ? 'every method on' : m} ${r.path}, as route "${clash}" does` });
        break;
      }
    }
    for (const m of methods) seen.set(m, r.name);
    byShape.set(shape, seen);
  });
}

function routePathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > 1024) return 'must be a path pattern starting with "/"';
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '' ? !last : s === '*' ? !last : s.startsWith(':') ? !PARAM_RE.test(s) : s === '.' || s === '..' || !STATIC_SEGMENT_RE.test(s)) {
      return `segment ${i + 1} ("${s}") must be static text, a whole ":param" or a final "*"`;
    }
  }
  return undefined;
}

/** Problem collector for one upstream block: `int`/`bool`/`str` check and describe in one line each. */
class Checker {
  constructor(
    readonly at: string,
    readonly problems: SnapshotProblem[],
  ) {}
  fail(field: string, message: string): void {
    this.problems.push({ path: `${this.at}.${field}`, message });
  }
  int(obj: Record<string, unknown>, field: string, min: number, max: number, prefix = ''): void {
    const v = obj[field];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) this.fail(prefix + field, `must be an integer in ${min}..${max}`);
  }
  /** Every listed number must be 0: the disabled form. */
  zeros(obj: Record<string, unknown>, fields: readonly string[], prefix: string): void {
    for (const f of fields) if (obj[f] !== 0) this.fail(prefix + f, 'must be 0 while disabled');
  }
  bool(obj: Record<string, unknown>, field: string, prefix = ''): boolean {
    if (typeof obj[field] !== 'boolean') {
      this.fail(prefix + field, 'must be a boolean');
      return false;
    }
    return obj[field] as boolean;
  }
  object(obj: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
    const v = obj[field];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.fail(field, 'must be an object');
      return undefined;
    }
    return v as Record<string, unknown>;
  }
}

function checkUpstream(up: SnapshotUpstream, at: string, problems: SnapshotProblem[]): void {
  if (up === null || typeof up !== 'object') {
    problems.push({ path: at, message: 'must be an object' });
    return;
  }
  const c = new Checker(at, problems);
  const raw = up as unknown as Record<string, unknown>;
  if (!Array.isArray(up.targets) || up.targets.length === 0 || up.targets.length > 512) {
    c.fail('targets', 'must hold 1..512 targets');
  } else {
    up.targets.forEach((t, j) => {
      const p = `targets[${j}].`;
      if (t === null || typeof t !== 'object') return c.fail(`targets[${j}]`, 'must be an object');
      if (!isHttpUrl(t.url)) c.fail(`${p}url`, 'must be an http or https URL');
      c.int(t as unknown as Record<string, unknown>, 'weight', 1, 1000, p);
      if (typeof t.zone !== 'string' || (t.zone !== '' && (t.zone.length > 63 || !ZONE_RE.test(t.zone)))) c.fail(`${p}zone`, 'must be a zone name or ""');
    });
  }

  const lb = c.object(raw, 'loadBalancing');
  if (lb) {
    const p = 'loadBalancing.';
    const algorithm = lb['algorithm'];
    if (!(SNAPSHOT_LOAD_BALANCING_ALGORITHMS as readonly unknown[]).includes(algorithm)) c.fail(`${p}algorithm`, `must be one of ${SNAPSHOT_LOAD_BALANCING_ALGORITHMS.join(', ')}`);
    c.bool(lb, 'zoneAware', p);
    c.int(lb, 'minZoneHealthyPercent', 0, 100, p);
    const hashOn = lb['hashOn'] as Record<string, unknown> | null | undefined;
    if (hashOn === null || typeof hashOn !== 'object') c.fail(`${p}hashOn`, 'must be an object');
    else {
      const source = hashOn['source'];
      const name = hashOn['name'];
      if (!(SNAPSHOT_HASH_SOURCES as readonly unknown[]).includes(source)) c.fail(`${p}hashOn.source`, `must be one of ${SNAPSHOT_HASH_SOURCES.join(', ')}`);
      else if ((source === 'none') !== (algorithm !== 'consistent-hash')) c.fail(`${p}hashOn.source`, 'must be "none" exactly when the algorithm is not consistent-hash');
      const named = source === 'header' || source === 'cookie';
      if (typeof name !== 'string' || (named ? name.length > 256 || !TOKEN_RE.test(name) || (source === 'header' && name !== name.toLowerCase()) : name !== '')) {
        c.fail(`${p}hashOn.name`, named ? 'must be a header (lower-case) or cookie name' : 'must be "" for this source');
      }
    }
  }

  const timeouts = c.object(raw, 'timeouts');
  if (timeouts) {
    c.int(timeouts, 'connectMs', 1, HOUR, 'timeouts.');
    c.int(timeouts, 'requestMs', 1, HOUR, 'timeouts.');
    c.int(timeouts, 'totalMs', 1, HOUR, 'timeouts.');
    if ((timeouts['totalMs'] as number) < (timeouts['requestMs'] as number)) c.fail('timeouts.totalMs', 'must be at least requestMs');
  }

  const retries = c.object(raw, 'retries');
  if (retries) {
    const p = 'retries.';
    c.int(retries, 'attempts', 0, 5, p);
    c.int(retries, 'backoffBaseMs', 1, HOUR, p);
    c.int(retries, 'backoffMaxMs', 1, HOUR, p);
    c.int(retries, 'budgetPercent', 0, 100, p);
    c.int(retries, 'budgetMinPerSecond', 0, 10_000, p);
    if ((retries['backoffMaxMs'] as number) < (retries['backoffBaseMs'] as number)) c.fail(`${p}backoffMaxMs`, 'must be at least backoffBaseMs');
    const on = retries['on'];
    if (!Array.isArray(on)) c.fail(`${p}on`, 'must be a list');
    else {
      on.forEach((o: unknown, k) => {
        const known = typeof o === 'string' && ((SNAPSHOT_RETRY_FAILURE_CONDITIONS as readonly string[]).includes(o) || RETRY_STATUS_RE.test(o));
        if (!known) c.fail(`${p}on[${k}]`, 'must be connect-failure, reset, timeout or a status 500..599');
        else if (k > 0 && !((on[k - 1] as string) < (o as string))) c.fail(`${p}on[${k}]`, 'must be sorted and unique');
      });
    }
  }

  const hc = c.object(raw, 'healthCheck');
  if (hc) {
    const p = 'healthCheck.';
    const fields = ['intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold'] as const;
    if (c.bool(hc, 'enabled', p)) {
      if (typeof hc['path'] !== 'string' || hc['path'].length > 1024 || !HEALTH_PATH_RE.test(hc['path']) || hc['path'].startsWith('//')) c.fail(`${p}path`, 'must be an origin-form path');
      c.int(hc, 'intervalMs', 1, HOUR, p);
      c.int(hc, 'timeoutMs', 1, HOUR, p);
      c.int(hc, 'healthyThreshold', 1, 100, p);
      c.int(hc, 'unhealthyThreshold', 1, 100, p);
      if ((hc['timeoutMs'] as number) > (hc['intervalMs'] as number)) c.fail(`${p}timeoutMs`, 'must be at most intervalMs');
    } else if (typeof hc['enabled'] === 'boolean') {
      if (hc['path'] !== '') c.fail(`${p}path`, 'must be "" while disabled');
      c.zeros(hc, fields, p);
    }
  }

  const od = c.object(raw, 'outlierDetection');
  if (od) {
    const p = 'outlierDetection.';
    if (c.bool(od, 'enabled', p)) {
      c.int(od, 'consecutiveFailures', 1, 1000, p);
      c.int(od, 'baseEjectionMs', 1, HOUR, p);
      c.int(od, 'maxEjectionMs', 1, HOUR, p);
      c.int(od, 'maxEjectionPercent', 0, 100, p);
      if ((od['maxEjectionMs'] as number) < (od['baseEjectionMs'] as number)) c.fail(`${p}maxEjectionMs`, 'must be at least baseEjectionMs');
    } else if (typeof od['enabled'] === 'boolean') c.zeros(od, ['consecutiveFailures', 'baseEjectionMs', 'maxEjectionMs', 'maxEjectionPercent'], p);
  }

  const cb = c.object(raw, 'circuitBreaker');
  if (cb) {
    const p = 'circuitBreaker.';
    if (c.bool(cb, 'enabled', p)) {
      c.int(cb, 'maxConcurrent', 1, MILLION, p);
      c.int(cb, 'maxPending', 0, MILLION, p);
      c.int(cb, 'failureRatePercent', 1, 100, p);
      c.int(cb, 'windowMs', 1, HOUR, p);
      c.int(cb, 'minRequests', 1, MILLION, p);
      c.int(cb, 'openMs', 1, HOUR, p);
      c.int(cb, 'halfOpenRequests', 1, 1000, p);
    } else if (typeof cb['enabled'] === 'boolean') {
      c.zeros(cb, ['maxConcurrent', 'maxPending', 'failureRatePercent', 'windowMs', 'minRequests', 'openMs', 'halfOpenRequests'], p);
    }
  }

  const hostRewrite = raw['hostRewrite'];
  if (typeof hostRewrite !== 'string' || (hostRewrite !== '' && (hostRewrite.length > 259 || !HOST_HEADER_RE.test(hostRewrite)))) {
    c.fail('hostRewrite', 'must be "" or a lower-case host[:port]');
  }
}

/** Validates the content and checks that the announced hash is the content's. */
export function verifySnapshot(snapshot: Snapshot): SnapshotVerdict {
  const problems = validateSnapshotContent(snapshot.content);
  if (problems.length > 0) {
    const first = problems[0]!;
    return {
      ok: false,
      code: ErrorCodes.GW_SNAPSHOT_INVALID,
      message: `snapshot ${snapshot.version} is invalid: ${first.path} ${first.message}` + (problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''),
      problems,
    };
  }
  const actual = hashSnapshotContent(snapshot.content);
  if (actual !== snapshot.hash) {
    return {
      ok: false,
      code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH,
      message: `snapshot ${snapshot.version} announces hash ${snapshot.hash} but its content hashes to ${actual}`,
      problems: [],
    };
  }
  return { ok: true };
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}
