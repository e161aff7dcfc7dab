/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped.
 * Arrays keep their order, so callers sort collections whose order carries no meaning
 * before serializing. Same value ⇒ same bytes, on every replica and every Node version.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError('canonicalJson: non-finite numbers have no canonical form');
  }
  return value;
}
