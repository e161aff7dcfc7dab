import { POLICY_LIMITS as L } from './limits.js';

/** RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Headers a policy may not claim: framing, hop-by-hop, the gateway's own forwarding
 * headers, and credentials. Taking one over would break requests or let a policy forge
 * what the gateway vouches for.
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect',
  'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'traceparent', 'tracestate',
  'authorization', 'proxy-authorization', 'cookie', 'origin',
]);

/** A header name a policy may use, lower-cased, or the problem with it. */
export function headerNameRule(value: string): string | { problem: string } {
  if (value.length === 0 || value.length > L.headerNameMaxLength || !TOKEN.test(value)) return { problem: `must be a header name: 1-${L.headerNameMaxLength} token characters` };
  const lower = value.toLowerCase();
  if (RESERVED_HEADERS.has(lower)) return { problem: `must not be "${lower}": the gateway or HTTP itself gives that header its meaning` };
  return lower;
}
