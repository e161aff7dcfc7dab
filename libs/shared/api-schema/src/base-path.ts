/** RFC 3986 `pchar` minus percent-encoding: unreserved / sub-delims / ":" / "@". */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

/**
 * What is wrong with a base path, or `undefined`: `/` or `/segment[/segment…]` of
 * pchar characters, no empty, `.` or `..` segments, no trailing `/`, no percent-encoding
 * (the runtime matches decoded, normalized paths, so an encoded base path could never match).
 */
export function basePathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return 'must start with "/"';
  if (value === '/') return undefined;
  if (value.includes('?') || value.includes('#')) return 'must not contain a query ("?") or fragment ("#")';
  if (value.includes('%')) return 'must not contain percent-encoding ("%"); write the characters themselves';
  for (const ch of value) {
    if (ch !== '/' && !PCHAR.test(ch)) return `must not contain ${JSON.stringify(ch)}: only letters, digits and -._~!$&'()*+,;=:@ are allowed in a segment`;
  }
  if (value.endsWith('/')) return 'must not end with "/" (except the root path "/")';
  const segments = value.slice(1).split('/');
  if (segments.includes('')) return 'must not contain empty segments ("//")';
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain "." or ".." segments';
  return undefined;
}
