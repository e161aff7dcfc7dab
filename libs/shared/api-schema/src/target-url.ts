/** Characters a target URL must not contain: WHATWG parsing would silently drop or reinterpret them. */
const URL_FORBIDDEN_CHARS = /[\u0000-\u0020\u007f\\]/;

/**
 * The target URL normalized as `scheme://host[:port][/path]`: WHATWG parsing lower-cases
 * the host, drops a default port and resolves dot segments; trailing slashes are removed
 * so joining the request path never doubles them (a root path becomes '').
 */
export function normalizeTargetUrl(value: string): string | { problem: string } {
  // WHATWG parsing accepts "http:host" and "http:\\host"; insist on the plain form operators expect.
  if (!/^https?:\/\//i.test(value)) return { problem: 'must be an absolute URL starting with http:// or https://' };
  if (URL_FORBIDDEN_CHARS.test(value)) return { problem: 'must not contain whitespace, control characters or "\\"' };
  if (value.includes('?')) return { problem: 'must not contain a query ("?")' };
  if (value.includes('#')) return { problem: 'must not contain a fragment ("#")' };
  const authority = value.slice(value.indexOf('//') + 2).split('/')[0] ?? '';
  // Checked on the raw text: "http://@host" parses with an empty user name and would slip through.
  if (authority.includes('@')) return { problem: 'must not contain credentials (user:password@)' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'must be a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'must use http or https' };
  if (url.hostname === '') return { problem: 'must have a host name' };
  if (url.port === '0') return { problem: 'must not use port 0' };
  const pathname = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${pathname}`;
}
