const OPEN_BRACKET = 91; // '['
const DOT = 46; // '.'

/**
 * The host part of a Host header value, lower-cased, without its port:
 * `API.Example.com:8080` → `api.example.com`, `api.example.com.` → `api.example.com`,
 * `[::1]:8080` → `[::1]`.
 * Returns `undefined` for a missing or empty header.
 */
export function normalizeHost(host: string | undefined): string | undefined {
  if (host === undefined || host.length === 0) return undefined;
  let end: number;
  if (host.charCodeAt(0) === OPEN_BRACKET) {
    // IPv6 literal: the port, if any, follows the closing bracket.
    const close = host.indexOf(']');
    end = close === -1 ? host.length : close + 1;
  } else {
    const colon = host.indexOf(':');
    end = colon === -1 ? host.length : colon;
  }
  // `example.com.` (fully qualified) names the same host as `example.com`.
  if (end > 0 && host.charCodeAt(end - 1) === DOT) end--;
  const name = end === host.length ? host : host.slice(0, end);
  return name.length === 0 ? undefined : name.toLowerCase();
}
