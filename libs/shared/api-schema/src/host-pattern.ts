import { API_LIMITS } from './limits.js';

const HOST_LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOST_LABEL_MAX_LENGTH = 63;
const WILDCARD_PREFIX = '*.';
const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether a (valid) host pattern is a wildcard: `*.example.com`. */
export function isWildcardHost(host: string): boolean {
  return host.startsWith(WILDCARD_PREFIX);
}

/**
 * What is wrong with a lower-cased host pattern, or `undefined`: a DNS name
 * (`api.example.com`, `10.0.0.7`) or one leading wildcard label followed by a DNS name
 * (`*.example.com`, which matches subdomains of any depth but not `example.com` itself).
 */
export function hostPatternProblem(host: string): string | undefined {
  if (host.length === 0) return 'must not be empty';
  if (host.length > API_LIMITS.hostMaxLength) return `must be at most ${API_LIMITS.hostMaxLength} characters`;
  if (host === '*') return 'must not be "*" alone: leave hosts empty to serve any host';
  const name = isWildcardHost(host) ? host.slice(WILDCARD_PREFIX.length) : host;
  if (name.includes('*')) return 'may only use "*" as a whole leading label ("*.example.com")';
  return dnsNameProblem(name);
}

/** What is wrong with a lower-cased DNS host name, or `undefined`. */
export function dnsNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  for (const label of name.split('.')) {
    if (label.length === 0) return 'must be a DNS host name: empty label (leading, trailing or double ".")';
    if (label.length > HOST_LABEL_MAX_LENGTH) return `must be a DNS host name: labels are at most ${HOST_LABEL_MAX_LENGTH} characters`;
    if (!HOST_LABEL_PATTERN.test(label)) {
      return 'must be a DNS host name: labels are letters, digits and "-", not starting or ending with "-"';
    }
  }
  return undefined;
}

/** What is wrong with a lower-cased `host[:port]` Host header value (a DNS name, IPv4 address or bracketed IPv6 literal), or `undefined`. */
export function hostHeaderProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty (use null to keep the target\'s host)';
  if (value.length > API_LIMITS.hostMaxLength + 6) return `must be at most ${API_LIMITS.hostMaxLength + 6} characters`;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (m === null) return 'must be a host name, IPv4 address or [IPv6] literal, optionally with ":port"';
  const host = m[1]!;
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535 || port.startsWith('0'))) return 'must have a port between 1 and 65535';
  if (host.startsWith('[')) {
    // Let the URL parser judge the IPv6 literal, the same parser Node's HTTP client relies on.
    try {
      const canonical = new URL(`http://${host}/`).hostname;
      if (canonical !== host) return `must be an IPv6 literal in canonical form (${canonical})`;
    } catch {
      return 'must be a valid IPv6 literal in brackets';
    }
    return undefined;
  }
  if (IPV4_PATTERN.test(host)) return undefined;
  const dns = dnsNameProblem(host);
  return dns === undefined ? undefined : dns.replace('must be a DNS host name', 'must be a host name');
}
