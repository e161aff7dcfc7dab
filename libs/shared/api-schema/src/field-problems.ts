import type { z } from 'zod';

/** One thing wrong with an input, at a dotted/indexed path such as `upstream.targets[0].url` (`''` is the whole body). */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * At most this many problems are reported, so a hostile body (say 100 000 unknown keys)
 * cannot turn into a huge error response; a last entry at path `''` says the list was cut.
 */
export const MAX_REPORTED_PROBLEMS = 100;

/** The message of a field the schema does not know: the deploy API's 400 and a runtime's version-skew NACK both key on it. */
export const UNKNOWN_FIELD = 'unknown field';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** How a field path is written: dotted (`upstream.targets[0].url`, PUT) or a JSON Pointer (`/apis/3/upstream/targets/0/url`, apply). */
export type PathFormat = (path: readonly PropertyKey[]) => string;

/** `['upstream', 'targets', 0, 'url']` → `upstream.targets[0].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** RFC 6901: `['a/b', 0]` → `/a~1b/0`; `[]` → `''` (the whole document). */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  return path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** JSON Pointers under `prefix` (itself a pointer, e.g. `/apis/3`). */
export function pointerFormat(prefix: string): PathFormat {
  return (path) => prefix + toJsonPointer(path);
}

export function describeType(value: unknown): string {
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

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/**
 * The gateway's wording for zod's standard issues, passed to every parse: "is required",
 * "must be a string, not a number", "must have at most 512 items". Fields whose rule needs
 * its own words (a base path, a header name) set them where the schema declares the rule.
 */
export function gatewayWording(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${describeType(issue.input)}`;
    }
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items`;
      return `must be at most ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      return `must be at least ${issue.minimum}`;
    case 'unrecognized_keys':
      return UNKNOWN_FIELD;
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_format':
      return 'has an invalid format';
    case 'invalid_union':
      return 'matches none of the allowed forms';
    default:
      return undefined;
  }
}

/**
 * A custom issue that points at an earlier item of the same list; its message needs the
 * list's full path, which only the whole issue path gives (`duplicates routes[4].methods[0] ("GET")`).
 */
export interface DuplicateParams {
  kind: 'duplicate';
  /** Index of the earlier item. */
  of: number;
  /** The item's field that repeats (`name`, `sha256`), when the item is an object. */
  field?: string;
  verb: 'duplicates' | 'repeats';
  /** What follows the reference: `("GET")`, `(the same key twice)`. */
  detail?: string;
}

/**
 * zod issues → field problems, in schema order (zod reports known fields in declaration
 * order and an object's unknown fields after them), at most one per path (the first),
 * capped at MAX_REPORTED_PROBLEMS with a closing note.
 */
export function problemsFromIssues(issues: readonly Issue[], first: readonly FieldProblem[] = [], format: PathFormat = formatPath): FieldProblem[] {
  const out: FieldProblem[] = [];
  const seen = new Set<string>();
  let truncated = false;
  const add = (path: string, message: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    if (out.length < MAX_REPORTED_PROBLEMS) out.push({ path, message });
    else truncated = true;
  };
  for (const p of first) add(p.path, p.message);
  for (const issue of issues) {
    const path = format(issue.path);
    if (issue.code === 'unrecognized_keys' && issue.message === UNKNOWN_FIELD) {
      for (const key of issue.keys) add(format([...issue.path, key]), UNKNOWN_FIELD);
      continue;
    }
    const params = issue.code === 'custom' ? (issue.params as DuplicateParams | undefined) : undefined;
    if (params?.kind === 'duplicate') {
      const list = issue.path.slice(0, params.field === undefined ? -1 : -2);
      const ref = format([...list, params.of, ...(params.field === undefined ? [] : [params.field])]);
      add(path, `${params.verb} ${ref}${params.detail === undefined ? '' : ` ${params.detail}`}`);
      continue;
    }
    add(path, issue.message);
  }
  if (truncated) out.push({ path: format([]), message: `too many problems; only the first ${MAX_REPORTED_PROBLEMS} are reported` });
  return out;
}
