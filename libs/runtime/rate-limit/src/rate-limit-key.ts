import type { RateLimitKey } from '@gw/api-schema';

/** What the proxy knows about a request when it asks for a decision. */
export interface RateLimitRequestFacts {
  /** The client address after trusted-proxy processing of X-Forwarded-For. */
  clientIp: string;
  /** Node's lower-cased request headers. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The authenticated consumer, if the API authenticates. */
  consumer?: string | undefined;
}

/**
 * The value a request is counted under, for a limit's `key` (the schema's: header names
 * lower-case, as Node's). A request without the configured header, or an anonymous one
 * under a consumer key, is counted by client IP instead, so leaving the header out never
 * escapes the limit. Prefixes keep the three spaces apart.
 */
export function rateLimitKey(source: RateLimitKey, facts: RateLimitRequestFacts): string {
  if (source.by === 'consumer' && facts.consumer) return `c:${facts.consumer}`;
  if (source.by === 'header') {
    const raw = facts.headers[source.name];
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value !== undefined && value !== '') return `h:${value}`;
  }
  return `ip:${facts.clientIp}`;
}
