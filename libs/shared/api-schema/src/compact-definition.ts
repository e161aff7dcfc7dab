import type { ApiDefinition, ApiDefinitionInput } from './api-definition.schema.js';
import { isJsonObject } from './json-object.js';
import { apiDefinitionJsonSchema } from './json-schema.js';
import { validateApiDefinition } from './validate-api-definition.js';

type Schema = Record<string, unknown>;

let rootSchema: Schema | undefined;
/** The JSON Schema the compaction walks: generated once from the one declaration. */
function schema(): Schema {
  rootSchema ??= apiDefinitionJsonSchema();
  return rootSchema;
}

/** Two JSON values equal (member order aside). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
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

/** The branch of a schema (through `anyOf`/`oneOf`/`allOf`) that describes `value`'s shape, if one does. */
function shapeOf(s: Schema, value: unknown): Schema | undefined {
  const node = resolved(s);
  const t = jsonType(value);
  const declared = node['type'];
  const types = Array.isArray(declared) ? declared : declared === undefined ? [] : [declared];
  if (types.includes(t) || (t === 'integer' && types.includes('number'))) return node;
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const branches = node[key];
    if (!Array.isArray(branches)) continue;
    for (const branch of branches) {
      const found = isJsonObject(branch) ? shapeOf(branch, value) : undefined;
      if (found !== undefined) return found;
    }
  }
  return types.length === 0 && node['properties'] === undefined && node['items'] === undefined ? undefined : node;
}

interface Walk {
  /** JSON Pointers of what this walk left out, in walk order. */
  readonly removed: string[];
}

function pointerStep(key: string | number): string {
  return typeof key === 'number' || !/[~/]/.test(key) ? `/${key}` : `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
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
  if (!compactedDefaults.has(field)) compactedDefaults.set(field, compactNode(field['default'], field, '', { removed: [] }));
  return compactedDefaults.get(field);
}

function compactNode(value: unknown, field: Schema, pointer: string, walk: Walk): unknown {
  const shape = shapeOf(field, value);
  if (shape === undefined) return value;
  if (Array.isArray(value)) {
    const items = shape['items'];
    // Items are never left out (their position means something); their fields are.
    return isJsonObject(items) ? value.map((item, i) => compactNode(item, items, pointer + pointerStep(i), walk)) : value;
  }
  if (!isJsonObject(value)) return value;
  const properties = isJsonObject(shape['properties']) ? shape['properties'] : {};
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const sub = properties[key];
    if (!isJsonObject(sub)) {
      out[key] = member;
      continue;
    }
    const at = pointer + pointerStep(key);
    const compacted = compactNode(member, sub, at, walk);
    if (leavesOut(sub, member, compacted)) {
      walk.removed.push(at);
      continue;
    }
    out[key] = compacted;
  }
  return out;
}

function pointerKeys(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => (part.includes('~') ? part.replaceAll('~1', '/').replaceAll('~0', '~') : part));
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const key of pointerKeys(pointer)) node = Array.isArray(node) ? node[Number(key)] : isJsonObject(node) ? node[key] : undefined;
  return node;
}

/** The JSON Pointers at which `a` and `b` differ, every level of each difference. */
function differingPointers(a: unknown, b: unknown, pointer: string, out: Set<string>): Set<string> {
  if (sameJson(a, b)) return out;
  out.add(pointer);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) differingPointers(a[i], b[i], pointer + pointerStep(i), out);
  } else if (isJsonObject(a) && isJsonObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) differingPointers(a[key], b[key], pointer + pointerStep(key), out);
  }
  return out;
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
  const walk: Walk = { removed: [] };
  const candidate = compactNode(definition, schema(), '', walk) as ApiDefinitionInput;
  // Each round puts one left-out field back, so there are at most as many rounds as fields left out.
  for (let round = 0; round <= walk.removed.length; round++) {
    const again = validateApiDefinition(candidate);
    if (!again.ok) return undefined;
    if (sameJson(again.value, definition)) return candidate;
    // Put back the first field that came back different and check again: a derived default
    // depends on fields before it (`totalMs` on `requestMs`, `lockTtlMs` on `totalMs`), so
    // a later difference may only be the echo of this one.
    const changed = differingPointers(again.value, definition, '', new Set());
    const differing = walk.removed.find((p) => changed.has(p));
    if (differing === undefined) return undefined;
    putBack(candidate, definition, differing);
  }
  return undefined;
}

/** Sets `pointer` in `target` (a compaction's own objects, copied along the way) to its value in `source`. */
function putBack(target: unknown, source: unknown, pointer: string): void {
  const keys = pointerKeys(pointer);
  let node = target as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    const copy = Array.isArray(child) ? [...child] : isJsonObject(child) ? { ...child } : {};
    node[key] = copy;
    node = copy as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = structuredClone(valueAt(source, pointer));
}
