import type { ApiDefinition, ApiDefinitionInput } from './api-definition.schema.js';
import { isJsonObject } from './json-object.js';
import { apiDefinitionJsonSchema } from './json-schema.js';
import { sameJson } from './same-json.js';
import { validateApiDefinition } from './validate-api-definition.js';

type Schema = Record<string, unknown>;

let rootSchema: Schema | undefined;
/** The JSON Schema the compaction walks: generated once from the one declaration. */
function schema(): Schema {
  rootSchema ??= apiDefinitionJsonSchema();
  return rootSchema;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
}

/** A local `$ref` (`#/$defs/X`) followed to what it names. */
function resolved(s: Schema): Schema {
  let node = s;
  for (let hops = 0; typeof node['$ref'] === 'string' && hops < 32; hops++) {
    const ref = node['$ref'];
    if (!ref.startsWith('#/')) break;
    let target: unknown = schema();
    for (const part of ref.slice(2).split('/')) target = isJsonObject(target) ? target[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    if (!isJsonObject(target)) break;
    node = target;
  }
  return node;
}

const shapes = new WeakMap<Schema, Map<string, Schema | undefined>>();
/**
 * The branch of a schema (through `anyOf`/`oneOf`/`allOf`) that describes `value`'s shape,
 * if one does. It depends on the value's JSON type only: found once per (schema node, type).
 */
function shapeOf(s: Schema, value: unknown): Schema | undefined {
  const t = jsonType(value);
  let byType = shapes.get(s);
  if (byType === undefined) shapes.set(s, (byType = new Map()));
  if (byType.has(t)) return byType.get(t);
  const found = findShape(s, t);
  byType.set(t, found);
  return found;
}

function findShape(s: Schema, t: string): Schema | undefined {
  const node = resolved(s);
  const declared = node['type'];
  const types = Array.isArray(declared) ? declared : declared === undefined ? [] : [declared];
  if (types.includes(t) || (t === 'integer' && types.includes('number'))) return node;
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const branches = node[key];
    if (!Array.isArray(branches)) continue;
    for (const branch of branches) {
      const found = isJsonObject(branch) ? findShape(branch, t) : undefined;
      if (found !== undefined) return found;
    }
  }
  return types.length === 0 && node['properties'] === undefined && node['items'] === undefined ? undefined : node;
}

/** Where a value sits in a definition: member names and item indexes from the root. */
type Path = readonly (string | number)[];

interface Walk {
  /** Paths of what this walk left out, in walk order. */
  readonly removed: Path[];
  /** The path of the node being walked (pushed and popped as the walk descends). */
  readonly at: (string | number)[];
}

/**
 * A field the schema fills in when it is absent: it declares a `default`, or an
 * `x-default` (a default derived from other fields: `totalMs` from `requestMs`, …).
 * Absent and default are the same only if the value equals the default; a derived one
 * is checked by validating again (see `compactDefinition`).
 */
function leavesOut(field: Schema, value: unknown, compacted: unknown): boolean {
  if ('x-default' in field) return true;
  if (!('default' in field)) return false;
  const fallback = field['default'];
  return sameJson(value, fallback) || sameJson(compacted, compactedDefault(field));
}

const compactedDefaults = new WeakMap<Schema, unknown>();
/** A field's default as compaction leaves it (`{}` for a block of defaults): computed once per field. */
function compactedDefault(field: Schema): unknown {
  if (!compactedDefaults.has(field)) compactedDefaults.set(field, compactNode(field['default'], field, { removed: [], at: [] }));
  return compactedDefaults.get(field);
}

function compactNode(value: unknown, field: Schema, walk: Walk): unknown {
  const shape = shapeOf(field, value);
  if (shape === undefined) return value;
  if (Array.isArray(value)) {
    const items = shape['items'];
    // Items are never left out (their position means something); their fields are.
    if (!isJsonObject(items)) return value;
    return value.map((item, i) => {
      walk.at.push(i);
      const compacted = compactNode(item, items, walk);
      walk.at.pop();
      return compacted;
    });
  }
  if (!isJsonObject(value)) return value;
  const properties = isJsonObject(shape['properties']) ? shape['properties'] : {};
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const member = value[key];
    const sub = properties[key];
    if (!isJsonObject(sub)) {
      out[key] = member;
      continue;
    }
    walk.at.push(key);
    const compacted = compactNode(member, sub, walk);
    if (leavesOut(sub, member, compacted)) walk.removed.push([...walk.at]);
    else out[key] = compacted;
    walk.at.pop();
  }
  return out;
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) node = Array.isArray(node) ? node[Number(key)] : isJsonObject(node) ? node[key] : undefined;
  return node;
}

/**
 * Whether `a` and `b` differ at `path`, descending only through containers of the same kind
 * on both sides (both arrays, or both objects): one path, not a walk of every difference.
 */
function differsAt(a: unknown, b: unknown, path: Path): boolean {
  let x = a;
  let y = b;
  for (const key of path) {
    if (Array.isArray(x) && Array.isArray(y)) {
      x = x[Number(key)];
      y = y[Number(key)];
    } else if (isJsonObject(x) && isJsonObject(y)) {
      x = x[key];
      y = y[key];
    } else {
      return false;
    }
  }
  return !sameJson(x, y);
}

/**
 * A validated definition with everything the schema would fill in again left out: every
 * value equal to its field's default (`"round-robin"`, `[]`, a policy's `null` when off is
 * the default), every block that then equals its own default (`{}` for a block that
 * defaults to on-with-defaults), and every derived default (`x-default`) that re-validation
 * derives the same. What differs from a default stays: `outlierDetection: null` (off where
 * on is the default), `healthCheck: {}` (on where off is the default), a `totalMs` given
 * apart from `requestMs`.
 *
 * Driven by the JSON Schema generated from the one declaration, never a list of fields,
 * so a field added to the schema is covered as it lands. Checked, not trusted: the result
 * is validated again and must give back exactly `definition`; a left-out field that does
 * not come back the same is kept, and if that does not settle it `definition` is returned
 * as it is (larger, never different). So `validateApiDefinition(compactDefinition(d))`
 * equals `d` for every validated `d`: what the controller sends is what the runtime sees,
 * and the runtime (of this version or an older one) fills the defaults in itself.
 */
export function compactDefinition(definition: ApiDefinition): ApiDefinitionInput {
  // A validated definition is valid input as it stands (validation gives it back unchanged).
  return tryCompactDefinition(definition) ?? (definition as unknown as ApiDefinitionInput);
}

/**
 * `compactDefinition` for a value not known to be validated (a stored row): its compact
 * form when `definition` is exactly what validation gives back for it (so checking it
 * again is the same work as the compaction's own check), `undefined` when it is not (a
 * row written before a field existed, or no longer valid: validate it, then compact).
 */
export function tryCompactDefinition(definition: unknown): ApiDefinitionInput | undefined {
  const walk: Walk = { removed: [], at: [] };
  const candidate = compactNode(definition, schema(), walk) as ApiDefinitionInput;
  // Each round puts one left-out field back, so there are at most as many rounds as fields left out.
  for (let round = 0; round <= walk.removed.length; round++) {
    const again = validateApiDefinition(candidate);
    if (!again.ok) return undefined;
    if (sameJson(again.value, definition)) return candidate;
    // Put back the first field that came back different and check again: a derived default
    // depends on fields before it (`totalMs` on `requestMs`, `lockTtlMs` on `totalMs`), so
    // a later difference may only be the echo of this one.
    const differing = walk.removed.find((p) => differsAt(again.value, definition, p));
    if (differing === undefined) return undefined;
    putBack(candidate, definition, differing);
  }
  return undefined;
}

/** Sets `path` in `target` (a compaction's own objects, copied along the way) to its value in `source`. */
function putBack(target: unknown, source: unknown, path: Path): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    const copy = Array.isArray(child) ? [...child] : isJsonObject(child) ? { ...child } : {};
    node[key] = copy;
    node = copy as Record<string | number, unknown>;
  }
  const value = valueAt(source, path);
  node[path[path.length - 1]!] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
}
