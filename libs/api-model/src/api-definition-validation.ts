import { API_DEFAULTS, API_LIMITS, type ApiDefinition } from './api-definition.js';

/** One thing wrong with an input, at a dotted/indexed path such as `upstream.targets[0].url` (`''` is the whole body). */
export interface FieldProblem {
  path: string;
  message: string;
}

export interface ValidateApiDefinitionOptions {
  /** The name the caller addressed (the `{name}` of `PUT /v1/apis/{name}`): the body must agree with it or omit `name`. */
  expectedName?: string;
}

export type ApiDefinitionValidationResult = { ok: true; value: ApiDefinition } | { ok: false; problems: FieldProblem[] };

/**
 * At most this many problems are reported, so a hostile body (say 100 000 unknown keys)
 * cannot turn into a huge error response; a last entry at path `''` says the list was cut.
 */
export const MAX_REPORTED_PROBLEMS = 100;

const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOST_LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOST_LABEL_MAX_LENGTH = 63;
/** RFC 3986 `pchar` minus percent-encoding: unreserved / sub-delims / ":" / "@". */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
/** Characters a target URL must not contain: WHATWG parsing would silently drop or reinterpret them. */
const URL_FORBIDDEN_CHARS = /[\u0000-\u0020\u007f\\]/;

const TOP_LEVEL_FIELDS = ['name', 'basePath', 'hosts', 'stripBasePath', 'upstream'] as const;
const UPSTREAM_FIELDS = ['targets', 'timeouts'] as const;
const TARGET_FIELDS = ['url', 'weight'] as const;
const TIMEOUT_FIELDS = ['connectMs', 'requestMs'] as const;

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

class ProblemList {
  private readonly items: FieldProblem[] = [];
  private truncated = false;

  add(path: string, message: string): void {
    if (this.items.length < MAX_REPORTED_PROBLEMS) this.items.push({ path, message });
    else this.truncated = true;
  }

  get count(): number {
    return this.items.length + (this.truncated ? 1 : 0);
  }

  toArray(): FieldProblem[] {
    const out = this.items.slice();
    if (this.truncated) out.push({ path: '', message: `too many problems; only the first ${MAX_REPORTED_PROBLEMS} are reported` });
    return out;
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function join(parent: string, field: string): string {
  return parent === '' ? field : `${parent}.${field}`;
}

function rejectUnknownFields(obj: JsonObject, known: readonly string[], path: string, problems: ProblemList): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.add(join(path, key), 'unknown field');
  }
}

function field(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function checkDefinition(input: unknown, options: ValidateApiDefinitionOptions, problems: ProblemList): ApiDefinition | undefined {
  if (!isObject(input)) {
    problems.add('', `must be a JSON object, not ${describeType(input)}`);
    return undefined;
  }
  const name = checkName(field(input, 'name'), options.expectedName, problems);
  const basePath = checkBasePath(field(input, 'basePath'), problems);
  const hosts = checkHosts(field(input, 'hosts'), problems);
  const stripBasePath = checkOptionalBoolean(field(input, 'stripBasePath'), 'stripBasePath', problems) ?? API_DEFAULTS.stripBasePath;
  const upstream = checkUpstream(field(input, 'upstream'), problems);
  rejectUnknownFields(input, TOP_LEVEL_FIELDS, '', problems);

  if (name === undefined || basePath === undefined || hosts === undefined || upstream === undefined) return undefined;
  return { name, basePath, hosts, stripBasePath, upstream };
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

function truncateForMessage(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
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
    const message = hostProblem(host);
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

/** `host` is already lower-cased. */
function hostProblem(host: string): string | undefined {
  if (host.length === 0) return 'must not be empty';
  if (host.length > API_LIMITS.hostMaxLength) return `must be at most ${API_LIMITS.hostMaxLength} characters`;
  for (const label of host.split('.')) {
    if (label.length === 0) return 'must be a DNS host name: empty label (leading, trailing or double ".")';
    if (label.length > HOST_LABEL_MAX_LENGTH) return `must be a DNS host name: labels are at most ${HOST_LABEL_MAX_LENGTH} characters`;
    if (!HOST_LABEL_PATTERN.test(label)) {
      return 'must be a DNS host name: labels are letters, digits and "-", not starting or ending with "-"';
    }
  }
  return undefined;
}

function checkOptionalBoolean(value: unknown, path: string, problems: ProblemList): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    problems.add(path, `must be a boolean, not ${describeType(value)}`);
    return undefined;
  }
  return value;
}

/** An integer in [min, max]; `undefined` when absent, `null` when invalid (problem added). */
function checkOptionalInteger(value: unknown, path: string, min: number, max: number, problems: ProblemList): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.add(path, `must be an integer, not ${typeof value === 'number' ? 'a fraction' : describeType(value)}`);
    return null;
  }
  if (value < min || value > max) {
    problems.add(path, `must be between ${min} and ${max}`);
    return null;
  }
  return value;
}

function checkUpstream(value: unknown, problems: ProblemList): ApiDefinition['upstream'] | undefined {
  if (value === undefined) {
    problems.add('upstream', 'is required');
    return undefined;
  }
  if (!isObject(value)) {
    problems.add('upstream', `must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const targets = checkTargets(field(value, 'targets'), problems);
  const timeouts = checkTimeouts(field(value, 'timeouts'), problems);
  rejectUnknownFields(value, UPSTREAM_FIELDS, 'upstream', problems);
  if (targets === undefined || timeouts === undefined) return undefined;
  return { targets, timeouts };
}

function checkTargets(value: unknown, problems: ProblemList): ApiDefinition['upstream']['targets'] | undefined {
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
  const targets: ApiDefinition['upstream']['targets'] = [];
  let valid = true;
  value.forEach((item: unknown, i) => {
    const target = checkTarget(item, `${path}[${i}]`, problems);
    if (target === undefined) valid = false;
    else targets.push(target);
  });
  return valid ? targets : undefined;
}

function checkTarget(value: unknown, path: string, problems: ProblemList): { url: string; weight: number } | undefined {
  if (!isObject(value)) {
    problems.add(path, `must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const url = checkTargetUrl(field(value, 'url'), join(path, 'url'), problems);
  const weight = checkOptionalInteger(field(value, 'weight'), join(path, 'weight'), 1, API_LIMITS.weightMax, problems);
  const before = problems.count;
  rejectUnknownFields(value, TARGET_FIELDS, path, problems);
  if (url === undefined || weight === null || problems.count !== before) return undefined;
  return { url, weight: weight ?? API_DEFAULTS.weight };
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

function checkTimeouts(value: unknown, problems: ProblemList): ApiDefinition['upstream']['timeouts'] | undefined {
  const defaults = { connectMs: API_DEFAULTS.connectTimeoutMs, requestMs: API_DEFAULTS.requestTimeoutMs };
  const path = 'upstream.timeouts';
  if (value === undefined) return defaults;
  if (!isObject(value)) {
    problems.add(path, `must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const connectMs = checkOptionalInteger(field(value, 'connectMs'), join(path, 'connectMs'), 1, API_LIMITS.timeoutMaxMs, problems);
  const requestMs = checkOptionalInteger(field(value, 'requestMs'), join(path, 'requestMs'), 1, API_LIMITS.timeoutMaxMs, problems);
  const before = problems.count;
  rejectUnknownFields(value, TIMEOUT_FIELDS, path, problems);
  if (connectMs === null || requestMs === null || problems.count !== before) return undefined;
  return { connectMs: connectMs ?? defaults.connectMs, requestMs: requestMs ?? defaults.requestMs };
}
