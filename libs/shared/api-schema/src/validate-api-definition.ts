import { z } from 'zod';
import { ApiDefinitionSchema, isValidApiName, type ApiDefinition } from './api-definition.schema.js';
import { isJsonObject } from './json-object.js';
import { gatewayWording, pointerFormat, problemsFromIssues, type FieldProblem } from './field-problems.js';
import { quote } from './field-kinds.js';

export interface ValidateApiDefinitionOptions {
  /** The name the caller addressed (the `{name}` of `PUT /v1/apis/{name}`): the body must agree with it or omit `name`. */
  expectedName?: string;
  /**
   * Write paths as JSON Pointers under this prefix (`/apis/3` → `/apis/3/upstream/targets/0/url`),
   * as `POST /v1/apply` does; without it they are dotted (`upstream.targets[0].url`), as PUT answers.
   */
  pointerPrefix?: string;
}

let compiledSchema: typeof ApiDefinitionSchema | undefined;
/**
 * The one declaration, compiled by zod (`z.compile`, zod ≥ 4.5): a generated parser for
 * the same schema with the same results and the same issues (an input it refuses is parsed
 * again by zod's own parser, which reports the problems). About 2.5× faster, which is most
 * of a runtime's boot from a cache of 10,000 APIs (docs/benchmarks.md). Compiled on first
 * use (~20 ms), so a process that never validates does not pay for it.
 */
function compiled(): typeof ApiDefinitionSchema {
  compiledSchema ??= z.compile(ApiDefinitionSchema);
  return compiledSchema;
}

export type ApiDefinitionValidationResult = { ok: true; value: ApiDefinition } | { ok: false; problems: FieldProblem[] };

/**
 * Checks an API definition as received (parsed JSON of unknown shape) and, when it is
 * valid, returns it with every default filled in. Problems are collected for every field
 * rather than stopping at the first, in schema order (an object's unknown fields after
 * its known ones), at most one per field. The input is never changed.
 */
export function validateApiDefinition(input: unknown, options: ValidateApiDefinitionOptions = {}): ApiDefinitionValidationResult {
  const expected = options.expectedName;
  const first: FieldProblem[] = [];
  if (expected !== undefined && isJsonObject(input)) {
    const name = Object.hasOwn(input, 'name') ? input['name'] : undefined;
    // The URL names the API; the body may leave it out.
    if (name === undefined) input = { ...input, name: expected };
    else if (typeof name === 'string' && isValidApiName(name) && name !== expected) first.push({ path: options.pointerPrefix === undefined ? 'name' : `${options.pointerPrefix}/name`, message: `must match the name in the request path (${quote(expected)})` });
  }
  const parsed = compiled().safeParse(input, { error: gatewayWording, reportInput: true });
  if (parsed.success && first.length === 0) return { ok: true, value: parsed.data };
  const format = options.pointerPrefix === undefined ? undefined : pointerFormat(options.pointerPrefix);
  return { ok: false, problems: problemsFromIssues(parsed.success ? [] : parsed.error.issues, first, format) };
}

