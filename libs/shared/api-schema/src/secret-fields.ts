import { apiDefinitionJsonSchema } from './json-schema.js';
import { isJsonObject } from './json-object.js';
import { SECRET_MARK } from './secret-mark.js';

type Node = Record<string, unknown>;

/** A segment of a secret's path: an object member, or every item of an array. */
export const EACH_ITEM = '[]';
export type SecretPath = readonly string[];

let cached: SecretPath[] | undefined;

/**
 * Where the schema marks secrets (`secretField`), read from the JSON Schema of the one
 * declaration, e.g. `policies.auth.jwt.keys[].k` as `['policies','auth','jwt','keys','[]','k']`.
 */
export function secretFieldPaths(): SecretPath[] {
  if (cached === undefined) {
    const root = apiDefinitionJsonSchema();
    const found: SecretPath[] = [];
    collect(root, [], root, new Set(), found);
    cached = found;
  }
  return cached;
}

function collect(node: Node, path: string[], root: Node, refs: Set<string>, found: SecretPath[]): void {
  if (node[SECRET_MARK] === true) {
    found.push(path);
    return;
  }
  const ref = node['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/') && !refs.has(ref)) {
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = isJsonObject(target) ? target[part] : undefined;
    if (isJsonObject(target)) collect(target, path, root, new Set([...refs, ref]), found);
  }
  for (const alt of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = node[alt];
    if (Array.isArray(list)) for (const a of list) if (isJsonObject(a)) collect(a, path, root, refs, found);
  }
  const properties = node['properties'];
  if (isJsonObject(properties)) for (const [key, child] of Object.entries(properties)) if (isJsonObject(child)) collect(child, [...path, key], root, refs, found);
  const items = node['items'];
  if (isJsonObject(items)) collect(items, [...path, EACH_ITEM], root, refs, found);
}

/**
 * The value with every string at a secret path replaced by `fn(secret, path)`, for a
 * definition of any shape (a stored one, or a request body not yet validated). Copies
 * only what changes: a value without secrets, or whose secrets `fn` returns unchanged,
 * is returned itself. `path` names the field, e.g. `policies.auth.jwt.keys[1].k`.
 */
export function mapSecretFields<T>(value: T, fn: (secret: string, path: string) => string): T {
  let out: unknown = value;
  for (const path of secretFieldPaths()) out = mapAt(out, path, 0, '', fn);
  return out as T;
}

function mapAt(value: unknown, path: SecretPath, i: number, at: string, fn: (secret: string, path: string) => string): unknown {
  if (i === path.length) return typeof value === 'string' ? fn(value, at) : value;
  const segment = path[i]!;
  if (segment === EACH_ITEM) {
    if (!Array.isArray(value)) return value;
    let copy: unknown[] | undefined;
    value.forEach((item, k) => {
      const next = mapAt(item, path, i + 1, `${at}[${k}]`, fn);
      if (next !== item) (copy ??= [...value])[k] = next;
    });
    return copy ?? value;
  }
  if (!isJsonObject(value) || !Object.hasOwn(value, segment)) return value;
  const child = value[segment];
  const next = mapAt(child, path, i + 1, at === '' ? segment : `${at}.${segment}`, fn);
  return next === child ? value : { ...value, [segment]: next };
}

/** Every secret string in the value with its field path (for checks that change nothing). */
export function listSecretFields(value: unknown): { path: string; secret: string }[] {
  const found: { path: string; secret: string }[] = [];
  mapSecretFields(value, (secret, path) => {
    found.push({ path, secret });
    return secret;
  });
  return found;
}
