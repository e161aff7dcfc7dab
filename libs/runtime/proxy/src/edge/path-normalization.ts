import type { ProxyError } from '../error-response.js';
import { ABOVE_ROOT, BACKSLASH, BAD_PERCENT_ENCODING, DOT_SEGMENT_PARAMETERS, ENCODED_SEPARATOR, FRAGMENT } from './edge-errors.js';

const SLASH = 47; // '/'
const DOT = 46; // '.'
const PERCENT = 37; // '%'
const BACKSLASH_CODE = 92; // '\'
const HASH = 35; // '#'

/**
 * The request path (no query) the gateway matches AND forwards, computed once, or the
 * reason to refuse it. Rules (README: "The hardened edge"):
 * - percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded and
 *   every other escape is kept with upper-case hex (RFC 3986 §6.2.2), so `%2e%2e` is `..`
 *   and `/%6Frders` is `/orders` for routing and for the upstream alike;
 * - `.` and `..` segments are resolved (RFC 3986 §5.2.4); a `..` that would climb above
 *   `/` is refused rather than clamped;
 * - refused outright: an encoded `/`, `\` or NUL (`%2F`, `%5C`, `%00`: an upstream that
 *   decodes them would see other segments than the router did), a raw `\` (some servers
 *   read it as `/`), `#` (never part of a request target), a broken escape, and a `.` or
 *   `..` segment with `;` parameters (`/..;/`, which Tomcat-style servers resolve);
 * - empty segments are kept as they are: `//x` stays a path and never becomes an authority.
 * A path with none of `%`, `\`, `#` and no segment starting with `.` is returned as is,
 * without allocating: the common case costs one scan.
 */
export function normalizePath(path: string): string | ProxyError {
  const length = path.length;
  let previous = SLASH;
  for (let i = 0; i < length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT || c === BACKSLASH_CODE || c === HASH || (c === DOT && previous === SLASH)) return normalizeSlowly(path);
    previous = c;
  }
  return path;
}

function normalizeSlowly(path: string): string | ProxyError {
  const decoded = decodeUnreserved(path);
  if (typeof decoded !== 'string') return decoded;
  return removeDotSegments(decoded);
}

/** Validates every escape, decodes the unreserved ones, and refuses raw `\` and `#`. */
function decodeUnreserved(path: string): string | ProxyError {
  let out = '';
  let copiedUpTo = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === BACKSLASH_CODE) return BACKSLASH;
    if (c === HASH) return FRAGMENT;
    if (c !== PERCENT) continue;
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return BAD_PERCENT_ENCODING;
    const byte = hi * 16 + lo;
    if (byte === 0x2f || byte === 0x5c || byte === 0) return ENCODED_SEPARATOR;
    const replacement = isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[hi]}${HEX[lo]}`;
    out += path.slice(copiedUpTo, i) + replacement;
    copiedUpTo = i + 3;
    i += 2;
  }
  return copiedUpTo === 0 ? path : out + path.slice(copiedUpTo);
}

/** RFC 3986 §5.2.4 on an absolute path, refusing to climb above the root. */
function removeDotSegments(path: string): string | ProxyError {
  const segments = path.split('/');
  const out: string[] = [];
  // segments[0] is the empty string before the leading '/'.
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) out.push('');
      continue;
    }
    if (segment === '..') {
      if (out.length === 0) return ABOVE_ROOT;
      out.pop();
      if (last) out.push('');
      continue;
    }
    if (segment.charCodeAt(0) === DOT) {
      const semicolon = segment.indexOf(';');
      if (semicolon === 1 || (semicolon === 2 && segment.charCodeAt(1) === DOT)) return DOT_SEGMENT_PARAMETERS;
    }
    out.push(segment);
  }
  return `/${out.join('/')}`;
}

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1; // includes NaN past the end
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}
