const PARAM_PATTERN = /^:[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 3986 `pchar` minus percent-encoding, and minus ":" and "*", which are pattern syntax here. */
const STATIC_SEGMENT_PATTERN = /^[A-Za-z0-9\-._~!$&'()+,;=@]+$/;

/**
 * The shape of a route path for conflict checks: parameter names do not matter to a
 * router (`/:id` and `/:name` match the same requests), so each becomes `:`.
 */
export function routePathShape(path: string): string {
  return path
    .split('/')
    .map((s) => (s.startsWith(':') ? ':' : s))
    .join('/');
}

/** What is wrong with a route path pattern, or `undefined`. */
export function routePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with "/" (it is relative to basePath)';
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  const params = new Set<string>();
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '') {
      if (last) continue; // a trailing "/" is a distinct path, as in the router
      return 'must not contain empty segments ("//")';
    }
    if (s === '*') {
      if (!last) return 'may only use "*" as the last segment (it matches the rest of the path)';
      continue;
    }
    if (s.startsWith(':')) {
      if (!PARAM_PATTERN.test(s)) return `segment "${s}" must be ":" followed by a name of letters, digits and "_" (no regular expressions)`;
      if (params.has(s)) return `uses the parameter "${s}" twice`;
      params.add(s);
      continue;
    }
    if (s === '.' || s === '..') return 'must not contain "." or ".." segments';
    if (!STATIC_SEGMENT_PATTERN.test(s)) {
      return `segment "${s}" must be a whole ":param", a final "*", or letters, digits and -._~!$&'()+,;=@ (no "%", ":" or "*" inside a segment)`;
    }
  }
  return undefined;
}
