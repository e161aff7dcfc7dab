import { ErrorCodes, GatewayError } from '@gw/errors';
import type { z } from 'zod';

// zod, of the three candidates: it gives typed settings straight from the declarations,
// rules in our own words, and transforms for values that need a parser of their own
// (CONTROLLER_ADDRESSES); the API schema is moving to it too, so the repo learns one
// validator. envalid reports by printing and exiting (a reporter must be swapped in to get
// an error) and has no integer ranges without custom validators; env-schema speaks
// ajv's JSON-schema messages ("must be <= 65535" about "/PORT"), not ours.

/** The declarations of an app: variable name → `envVar.*` schema. */
export type EnvDeclarations = Record<string, z.ZodType>;

/** The typed settings read for `D`. */
export type EnvValues<D extends EnvDeclarations> = { [K in keyof D]: z.output<D[K]> };

/** A rule across variables (e.g. one limit below another). */
export interface EnvRule<D extends EnvDeclarations> {
  /** The variables it reads: it is checked only when each of them is valid on its own. */
  uses: readonly (keyof D & string)[];
  /** The problem in full, naming the variables; undefined when the values agree. */
  check: (values: EnvValues<D>) => string | undefined;
}

/**
 * Reads every declared variable from `env`, then the rules across them. Throws one
 * `GW_CONFIG_ENV` error that lists every problem (`NAME rule, got "value"`), so an operator
 * fixes them in one go; its `details.problems` holds them one by one.
 */
export function readEnv<D extends EnvDeclarations>(declarations: D, env: NodeJS.ProcessEnv, rules: readonly EnvRule<D>[] = []): EnvValues<D> {
  const values: Record<string, unknown> = {};
  const invalid = new Set<string>();
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(declarations)) {
    const raw = env[name];
    const result = schema.safeParse(raw);
    if (result.success) {
      values[name] = result.data;
      continue;
    }
    invalid.add(name);
    // The first issue states the rule; later ones on the same value repeat it in other words.
    problems.push(problem(name, raw, result.error.issues[0]?.message ?? 'is not valid'));
  }
  for (const rule of rules) {
    if (rule.uses.some((name) => invalid.has(name))) continue;
    const found = rule.check(values as EnvValues<D>);
    if (found !== undefined) problems.push(found);
  }
  if (problems.length === 1) throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, problems[0]!, { details: { problems } });
  if (problems.length > 1) throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `${problems.length} environment problems: ${problems.join('; ')}`, { details: { problems } });
  return values as EnvValues<D>;
}

/**
 * `NAME must be …, got "value"`. A rule that starts with `:` follows the name directly
 * (`NAME: what its parser said`). The value is quoted once, unless the rule quotes it
 * already or it was not given. Declare no rule that can refuse a secret's value: it would
 * be quoted here.
 */
function problem(name: string, raw: string | undefined, rule: string): string {
  const text = `${name}${rule.startsWith(':') ? '' : ' '}${rule}`;
  if (raw === undefined || raw.trim() === '' || rule.includes(`"${raw}"`)) return text;
  return `${text}, got "${raw}"`;
}
