/**
 * Whether a `Host` (or `X-Forwarded-Host`) value is `host[:port]` as RFC 9110 §7.2 allows:
 * a reg-name (unreserved, sub-delims and `%`-escapes), an IPv4 address, or an IP literal
 * in brackets, then an optional port. Empty is allowed (HTTP/1.1 permits `Host:` with no
 * value when the target has no authority). A character loop, not a regex: it runs on
 * every request.
 */
export function isValidHostHeader(value: string): boolean {
  const length = value.length;
  if (length === 0) return true;
  if (length > 255 + 6) return false;
  let i = 0;
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf(']');
    if (close < 2) return false;
    for (let j = 1; j < close; j++) {
      const c = value.charCodeAt(j);
      if (!(isHexDigit(c) || c === 58 /* : */ || c === 46 /* . */)) return false;
    }
    i = close + 1;
  } else {
    while (i < length) {
      const c = value.charCodeAt(i);
      if (c === 58 /* : */) break;
      if (!isRegNameChar(c)) return false;
      i++;
    }
    if (i === 0) return false;
  }
  if (i === length) return true;
  if (value.charCodeAt(i) !== 58 /* : */) return false;
  const portDigits = length - i - 1;
  if (portDigits > 5) return false;
  for (let j = i + 1; j < length; j++) {
    const c = value.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

// unreserved: ALPHA DIGIT - . _ ~ ; sub-delims: ! $ & ' ( ) * + , ; = ; and % for escapes.
// ',' is left out on purpose: `Host: a, b` is two values joined, never one host.
function isRegNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 45 || c === 46 || c === 95 || c === 126 ||
    c === 33 || c === 36 || c === 38 || c === 39 || c === 40 || c === 41 || c === 42 || c === 43 || c === 59 || c === 61 ||
    c === 37
  );
}
