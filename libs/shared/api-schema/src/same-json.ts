/**
 * Whether two JSON values (plain objects, arrays, strings, numbers, booleans, null) are
 * equal, member by member, whatever the order of object keys: what compacting a definition
 * asks of a field and its default, and what `Upstream.follow` asks of two definitions
 * (comparing serialized copies kept one ~0.5–1 KB string per API alive). Shared blocks
 * (the same object in both) are equal at once.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) if (!Object.hasOwn(y, k) || !sameJson(x[k], y[k])) return false;
  return true;
}
