import { LOG_LEVELS, type LogLevel } from '@gw/logging';
import { z } from 'zod';

/**
 * One environment variable: a zod schema from the raw value (a string, or undefined when
 * unset) to the typed setting. Its issue messages read after the variable's name
 * ("must be an integer between 1 and 10"); `readEnv` puts the name in front.
 */
export type EnvVar<T> = z.ZodType<T>;

/** An empty value means "not given", as `VAR=` does in a shell or a compose file. */
const emptyAsUnset = (value: unknown): unknown => (value === '' ? undefined : value);
/** For numbers, choices and required values, blank (spaces only) is not given either: it can mean nothing else. */
const blankAsUnset = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

interface IntRange {
  min: number;
  max: number;
}

/** `"a", "b" or "c"`. */
const alternatives = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ').replace(/, ([^,]*)$/, ' or $1');

function int(range: IntRange & { default: number }): EnvVar<number>;
function int(range: IntRange): EnvVar<number | undefined>;
function int(range: IntRange & { default?: number }): EnvVar<number | undefined> {
  // One message for every way to miss (not a number, a fraction, out of range): it states the rule.
  const rule = `must be an integer between ${range.min} and ${range.max}`;
  const n = z.coerce.number({ error: rule }).int({ error: rule }).min(range.min, { error: rule }).max(range.max, { error: rule });
  return z.preprocess(blankAsUnset, range.default === undefined ? n.optional() : n.default(range.default));
}

function string(options: { default: string }): EnvVar<string>;
function string(): EnvVar<string | undefined>;
function string(options?: { default: string }): EnvVar<string | undefined> {
  const s = z.string();
  // Only empty is unset: a value of spaces is kept as given (an ADMIN_TOKEN of spaces still guards the API).
  return z.preprocess(emptyAsUnset, options === undefined ? s.optional() : s.default(options.default));
}

/**
 * The variable declarations the apps use, as `NAME: envVar.int({ default: 5_000, min: 0, max: 600_000 })`
 * (`tools/validate-deploy.mjs` reads the apps' declarations in this form: the name, the
 * kind, and a numeric default).
 */
export const envVar = {
  /** A whole number within [min, max]; without `default`, undefined when unset. */
  int,
  /** A TCP port, 0-65535 (0: any free port). */
  port: (options: { default: number }): EnvVar<number> => int({ ...options, min: 0, max: 65_535 }),
  /** Any text, as given; without `default`, undefined when unset or empty. */
  string,
  /** Must be set and not blank. `rule` follows the name in the error: `is required (e.g. …)`. */
  required: (rule: string): EnvVar<string> => z.preprocess(blankAsUnset, z.string({ error: rule })),
  /** One of `values`, exactly as written. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, options: { default: T[number] }): EnvVar<T[number]> =>
    z.preprocess(blankAsUnset, z.enum(values, { error: `must be ${alternatives(values)}` }).default(options.default)),
  /** `LOG_LEVEL`: `debug`, `info`, `warn`, `error` or `silent`. */
  logLevel: (options: { default: LogLevel }): EnvVar<LogLevel> => envVar.oneOf(LOG_LEVELS, options),
};
