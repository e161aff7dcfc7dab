import { API_DEFAULTS, API_LIMITS, type ApiDefinition } from './api-definition.js';
import {
  ProblemList,
  checkOptionalBoolean,
  describeType,
  field,
  isObject,
  rejectUnknownFields,
  truncateForMessage,
  type FieldProblem,
} from './field-checks.js';
import { hostPatternProblem } from './host-pattern.js';
import { POLICY_LIMITS } from './policy-definition.js';
import { checkPolicies } from './policy-validation.js';
import { checkRoutes } from './route-validation.js';
import { checkUpstream } from './upstream-validation.js';

export { MAX_REPORTED_PROBLEMS, type FieldProblem } from './field-checks.js';

export interface ValidateApiDefinitionOptions {
  /** The name the caller addressed (the `{name}` of `PUT /v1/apis/{name}`): the body must agree with it or omit `name`. */
  expectedName?: string;
}

export type ApiDefinitionValidationResult = { ok: true; value: ApiDefinition } | { ok: false; problems: FieldProblem[] };

const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** RFC 3986 `pchar` minus percent-encoding: unreserved / sub-delims / ":" / "@". */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

const TOP_LEVEL_FIELDS = ['name', 'basePath', 'hosts', 'stripBasePath', 'routes', 'upstream', 'policies'] as const;

/** Whether `name` is a valid API name (DNS-label style, at most 63 characters). */
export function isValidApiName(name: string): boolean {
  return name.length <= API_LIMITS.nameMaxLength && NAME_PATTERN.test(name);
}

/**
 * Checks an API definition as received (parsed JSON of unknown shape) and, when it is
 * valid, returns it normalized with every default filled in. Problems are collected for
 * every field rather than stopping at the first, in a fixed order (schema order, then
 * unknown fields in input order), with at most one problem per field.
 */
export function validateApiDefinition(input: unknown, options: ValidateApiDefinitionOptions = {}): ApiDefinitionValidationResult {
  const problems = new ProblemList();
  const value = checkDefinition(input, options, problems);
  const list = problems.toArray();
  if (list.length > 0 || value === undefined) return { ok: false, problems: list };
  return { ok: true, value };
}

function checkDefinition(input: unknown, options: ValidateApiDefinitionOptions, problems: ProblemList): ApiDefinition | undefined {
  if (!isObject(input)) {
    problems.add('', `must be a JSON object, not ${describeType(input)}`);
    return undefined;
  }
  const name = checkName(field(input, 'name'), options.expectedName, problems);
  const basePath = checkBasePath(field(input, 'basePath'), problems);
  const hosts = checkHosts(field(input, 'hosts'), problems);
  const stripBasePath = checkOptionalBoolean(field(input, 'stripBasePath'), 'stripBasePath', problems);
  const routes = checkRoutes(field(input, 'routes'), problems);
  const upstream = checkUpstream(field(input, 'upstream'), problems);
  const policies = checkPolicies(field(input, 'policies'), upstream?.timeouts, problems);
  rejectUnknownFields(input, TOP_LEVEL_FIELDS, '', problems);

  if (name === undefined || basePath === undefined || hosts === undefined || stripBasePath === null || routes === undefined || upstream === undefined || policies === undefined) {
    return undefined;
  }
  if (!checkRateLimitIds(name, routes, problems)) return undefined;
  return { name, basePath, hosts, stripBasePath: stripBasePath ?? API_DEFAULTS.stripBasePath, routes, upstream, policies };
}

function checkName(value: unknown, expectedName: string | undefined, problems: ProblemList): string | undefined {
  if (value === undefined) {
    if (expectedName === undefined) {
      problems.add('name', 'is required');
      return undefined;
    }
    // The URL names the API; the body may leave it out.
    value = expectedName;
  }
  if (typeof value !== 'string') {
    problems.add('name', `must be a string, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > API_LIMITS.nameMaxLength) {
    problems.add('name', `must be at most ${API_LIMITS.nameMaxLength} characters`);
    return undefined;
  }
  if (!NAME_PATTERN.test(value)) {
    problems.add('name', 'must be lower-case letters, digits and "-", starting and ending with a letter or digit');
    return undefined;
  }
  if (expectedName !== undefined && value !== expectedName) {
    problems.add('name', `must match the name in the request path ("${truncateForMessage(expectedName)}")`);
    return undefined;
  }
  return value;
}

function checkBasePath(value: unknown, problems: ProblemList): string | undefined {
  const message = basePathProblem(value);
  if (message !== undefined) {
    problems.add('basePath', message);
    return undefined;
  }
  return value as string;
}

function basePathProblem(value: unknown): string | undefined {
  if (value === undefined) return 'is required';
  if (typeof value !== 'string') return `must be a string, not ${describeType(value)}`;
  if (value.length > API_LIMITS.basePathMaxLength) return `must be at most ${API_LIMITS.basePathMaxLength} characters`;
  if (!value.startsWith('/')) return 'must start with "/"';
  if (value === '/') return undefined;
  if (value.includes('?') || value.includes('#')) return 'must not contain a query ("?") or fragment ("#")';
  if (value.includes('%')) return 'must not contain percent-encoding ("%"); write the characters themselves';
  for (const ch of value) {
    if (ch !== '/' && !PCHAR.test(ch)) return `must not contain ${JSON.stringify(ch)}: only letters, digits and -._~!$&'()*+,;=:@ are allowed in a segment`;
  }
  if (value.endsWith('/')) return 'must not end with "/" (except the root path "/")';
  const segments = value.slice(1).split('/');
  if (segments.includes('')) return 'must not contain empty segments ("//")';
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain "." or ".." segments';
  return undefined;
}

function checkHosts(value: unknown, problems: ProblemList): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add('hosts', `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > API_LIMITS.hostsMax) {
    // Items are not checked one by one: the list is refused as a whole.
    problems.add('hosts', `must have at most ${API_LIMITS.hostsMax} items`);
    return undefined;
  }
  const hosts: string[] = [];
  const firstIndex = new Map<string, number>();
  const before = problems.count;
  value.forEach((item: unknown, i) => {
    const path = `hosts[${i}]`;
    if (typeof item !== 'string') {
      problems.add(path, `must be a string, not ${describeType(item)}`);
      return;
    }
    const host = item.toLowerCase();
    const message = hostPatternProblem(host);
    if (message !== undefined) {
      problems.add(path, message);
      return;
    }
    const seen = firstIndex.get(host);
    if (seen !== undefined) {
      problems.add(path, `duplicates hosts[${seen}] ("${host}")`);
      return;
    }
    firstIndex.set(host, i);
    hosts.push(host);
  });
  return problems.count === before ? hosts : undefined;
}


/**
 * The runtime counts a route's limit under `<api>/<route>/<name>` (in Redis and in the
 * RateLimit headers); that id has a length limit. API-level ids (`<api>/<name>`) always fit.
 */
function checkRateLimitIds(api: string, routes: readonly { name: string; rateLimits: readonly { name: string }[] }[], problems: ProblemList): boolean {
  const before = problems.count;
  routes.forEach((route, i) =>
    route.rateLimits.forEach((limit, j) => {
      const id = `${api}/${route.name}/${limit.name}`;
      if (id.length > POLICY_LIMITS.rateLimitIdMaxLength) {
        problems.add(`routes[${i}].rateLimits[${j}].name`, `makes the limiter id "${id}" longer than ${POLICY_LIMITS.rateLimitIdMaxLength} characters; use a shorter name`);
      }
    }),
  );
  return problems.count === before;
}
