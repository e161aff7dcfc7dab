import { API_LIMITS } from './api-definition.js';

const HOST_LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const HOST_LABEL_MAX_LENGTH = 63;
const WILDCARD_PREFIX = '*.';

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
