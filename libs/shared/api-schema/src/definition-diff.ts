import diff from 'microdiff';
import type { ApiDefinition } from './api-definition.schema.js';
import { toJsonPointer } from './field-problems.js';
import { maskDefinitionSecrets } from './secret-masking.js';

/**
 * One field-level difference between two versions of an API, JSON-Patch-like: `path` is a
 * JSON Pointer into the definition (`/upstream/targets/0/url`; `''` is the whole API),
 * `value` the new value (add, replace) and `from` the previous one (remove, replace).
 * Unlike RFC 6902, `from` holds a value, not a path: the answer is for people and CI logs
 * to read, not to be applied. Secret fields read `"[REDACTED]"` on both sides, so a
 * changed secret shows as a replace of `"[REDACTED]"` by `"[REDACTED]"`.
 */
export interface DefinitionChange {
  op: 'add' | 'remove' | 'replace';
  path: string;
  from?: unknown;
  value?: unknown;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const segment of path) node = typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[segment] : undefined;
  return node;
}

/**
 * What changes from `before` to `after` (either absent: a create or a delete, one change
 * at `''`). Compared as JSON values, so member order never counts (a definition read back
 * from jsonb equals the one written); arrays are compared item by item. Deterministic:
 * the order microdiff walks the new definition in.
 */
export function diffDefinitions(before: ApiDefinition | undefined, after: ApiDefinition | undefined): DefinitionChange[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ op: 'add', path: '', value: maskDefinitionSecrets(after!) }];
  if (after === undefined) return [{ op: 'remove', path: '', from: maskDefinitionSecrets(before) }];
  const maskedBefore = maskDefinitionSecrets(before);
  const maskedAfter = maskDefinitionSecrets(after);
  // Diffed in plaintext (a changed secret is a change), shown masked: masking keeps the shape.
  return diff(before, after).map((d): DefinitionChange => {
    const path = toJsonPointer(d.path);
    switch (d.type) {
      case 'CREATE':
        return { op: 'add', path, value: valueAt(maskedAfter, d.path) };
      case 'REMOVE':
        return { op: 'remove', path, from: valueAt(maskedBefore, d.path) };
      case 'CHANGE':
        return { op: 'replace', path, from: valueAt(maskedBefore, d.path), value: valueAt(maskedAfter, d.path) };
    }
  });
}

/** Whether two definitions are the same JSON value (member order aside): the apply no-op test. */
export function definitionsEqual(a: ApiDefinition, b: ApiDefinition): boolean {
  return diff(a, b).length === 0;
}
