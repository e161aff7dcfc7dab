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

export class ProblemList {
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

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

export function join(parent: string, field: string): string {
  return parent === '' ? field : `${parent}.${field}`;
}

export function rejectUnknownFields(obj: JsonObject, known: readonly string[], path: string, problems: ProblemList): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.add(join(path, key), 'unknown field');
  }
}

/** An own property only: `__proto__` or `constructor` in a body never reads from the prototype. */
export function field(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function truncateForMessage(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

export function checkOptionalBoolean(value: unknown, path: string, problems: ProblemList): boolean | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    problems.add(path, `must be a boolean, not ${describeType(value)}`);
    return null;
  }
  return value;
}

/** An integer in [min, max]; `undefined` when absent, `null` when invalid (problem added). */
export function checkOptionalInteger(value: unknown, path: string, min: number, max: number, problems: ProblemList): number | undefined | null {
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

/**
 * The object at `path`, or what absence/`null` means. Returns `'absent'` for undefined,
 * `'null'` for null (only when `nullable`), the object, or `undefined` after adding a problem.
 */
export function checkOptionalObject(value: unknown, path: string, nullable: boolean, problems: ProblemList): JsonObject | 'absent' | 'null' | undefined {
  if (value === undefined) return 'absent';
  if (value === null && nullable) return 'null';
  if (!isObject(value)) {
    problems.add(path, `must be ${nullable ? 'an object or null' : 'an object'}, not ${describeType(value)}`);
    return undefined;
  }
  return value;
}

/**
 * Checks the integer fields of a settings object in one go. Each spec is
 * `[field, min, max]`; returns the given values (absent ones left out), or `undefined`
 * when any was invalid. Unknown fields are rejected too.
 */
export function checkIntegerFields<K extends string>(
  obj: JsonObject,
  path: string,
  specs: readonly (readonly [K, number, number])[],
  otherFields: readonly string[],
  problems: ProblemList,
): Partial<Record<K, number>> | undefined {
  const out: Partial<Record<K, number>> = {};
  let valid = true;
  for (const [key, min, max] of specs) {
    const v = checkOptionalInteger(field(obj, key), join(path, key), min, max, problems);
    if (v === null) valid = false;
    else if (v !== undefined) out[key] = v;
  }
  const before = problems.count;
  rejectUnknownFields(obj, [...specs.map((s) => s[0]), ...otherFields], path, problems);
  return valid && problems.count === before ? out : undefined;
}
