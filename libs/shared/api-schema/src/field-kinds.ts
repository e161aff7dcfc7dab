import { z } from 'zod';
import { describeType, type DuplicateParams } from './field-problems.js';

/**
 * The kinds of field the API definition is made of, as zod schemas that speak the
 * gateway's wording. The schema files declare fields with these; the JSON Schema for
 * editors comes out of the same declarations.
 */

/** An integer in [min, max], reported as "must be between min and max". */
export function integer(min: number, max: number) {
  const between = `must be between ${min} and ${max}`;
  return z
    .int({ error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? (typeof issue.input === 'number' ? 'must be an integer, not a fraction' : `must be an integer, not ${describeType(issue.input)}`) : undefined) })
    .min(min, { error: between })
    .max(max, { error: between });
}

/** A string checked by a rule written as code; the rule's message is the problem. */
export function ruledString(rule: (value: string) => string | undefined, base: z.ZodString = z.string()) {
  return base.superRefine((value, ctx) => {
    const message = rule(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
  });
}

/** A string normalized by a rule written as code (lower-casing, URL normalization) or refused with its message. */
export function normalizedString(normalize: (value: string) => string | { problem: string }, base: z.ZodString = z.string()) {
  return base.transform((value, ctx) => {
    const result = normalize(value);
    if (typeof result === 'string') return result;
    ctx.addIssue({ code: 'custom', message: result.problem, input: value });
    return z.NEVER;
  });
}

/** A string matching `pattern` (shown to editors as `pattern`), else `message`. */
export function patternString(pattern: RegExp, message: string) {
  return z.string().regex(pattern, { error: message });
}

/** The message for a block that may be `null`, for a value of another type. */
export function objectOrNull(input: unknown): string {
  return `must be an object or null, not ${describeType(input)}`;
}

/** A string field that may be `null`: "must be a string or null" for a value of another type. */
export function nullableStringBase(): z.ZodString {
  return z.string({ error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? `must be a string or null, not ${describeType(issue.input)}` : undefined) });
}

/** A block that must be an object: `null` is refused with the gateway's wording. */
export const strictBlock = <S extends z.core.$ZodLooseShape>(shape: S, nullable = false) =>
  z.strictObject(shape, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? (nullable ? objectOrNull(issue.input) : `must be an object, not ${describeType(issue.input)}`) : undefined),
  });

export interface UniqueOptions<T> {
  /** The identity two items may not share (after normalization); `undefined`: the item has none (never a repeat). */
  key: (item: T) => string | undefined;
  /** The item's field that identifies it (`name`), when items are objects. */
  field?: string;
  verb?: DuplicateParams['verb'];
  /** What follows the reference in the message, e.g. `("GET")`. */
  detail?: (item: T) => string | undefined;
}

/** Adds "duplicates list[i]" problems for repeated items; the problem is on the repeat, pointing at the first. */
export function noDuplicates<T>(items: readonly T[], ctx: z.RefinementCtx, options: UniqueOptions<T>): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const key = options.key(item);
    if (key === undefined) return;
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, i);
      return;
    }
    const detail = options.detail?.(item);
    const params: DuplicateParams = { kind: 'duplicate', of: seen, verb: options.verb ?? 'duplicates', ...(options.field === undefined ? {} : { field: options.field }), ...(detail === undefined ? {} : { detail }) };
    ctx.addIssue({ code: 'custom', path: options.field === undefined ? [i] : [i, options.field], message: 'duplicate', params });
  });
}

/** A list of at most `max` items with no two alike (by `options.key`). */
export function uniqueList<T extends z.ZodType>(item: T, max: number, options: UniqueOptions<z.output<T>>, requiredMessage?: string) {
  return z
    .array(item, requiredMessage === undefined ? undefined : { error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? requiredMessage : undefined) })
    .max(max)
    .superRefine((items, ctx) => noDuplicates(items, ctx, options));
}

/** Quotes a value for a message, shortened so a hostile value cannot make a huge one. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
