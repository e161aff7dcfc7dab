import type { CorsPolicy } from '@gw/api-schema';

export interface ResolvedCorsPolicy {
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
  readonly originSuffixes: readonly { scheme: string; suffix: string }[];
  readonly methods: ReadonlySet<string>;
  readonly headers: ReadonlySet<string>;
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  readonly maxAgeSec: number;
}

export type CorsDecision =
  /** No Origin header: not a CORS request, nothing to add. */
  | { kind: 'none' }
  /** A preflight the policy allows: answer 204 with these headers, do not forward. */
  | { kind: 'preflight-allowed'; headers: Record<string, string> }
  /** A preflight the policy refuses: answer 403 GW_CORS_REJECTED (with these headers), do not forward. */
  | { kind: 'preflight-rejected'; reason: string; headers: Record<string, string> }
  /** An actual cross-origin request: forward it and add these headers to the response (none for a refused origin, so the browser blocks it). */
  | { kind: 'actual'; headers: Record<string, string> };

const SAFELISTED_METHODS = new Set(['GET', 'HEAD', 'POST']);
// Request headers a browser sends without asking (Fetch standard, CORS-safelisted request-header names).
const SAFELISTED_HEADERS = new Set(['accept', 'accept-language', 'content-language', 'content-type', 'range']);
/** `scheme://*.domain[:port]`: any subdomain of `domain`. */
const WILDCARD_ORIGIN = /^(https?):\/\/\*(\..+)$/;

/**
 * The lookups `corsDecision` needs, from an API's `policies.cors` block as the schema
 * normalizes it (origins, header names lower-case; methods upper-case; never credentials
 * with `*`).
 */
export function resolveCorsPolicy(policy: CorsPolicy): ResolvedCorsPolicy {
  const origins = new Set<string>();
  const originSuffixes: { scheme: string; suffix: string }[] = [];
  for (const o of policy.allowOrigins) {
    if (o === '*') continue;
    const wildcard = WILDCARD_ORIGIN.exec(o);
    if (wildcard) originSuffixes.push({ scheme: wildcard[1]!, suffix: wildcard[2]! });
    else origins.add(o);
  }
  return Object.freeze({
    anyOrigin: policy.allowOrigins.includes('*'),
    origins,
    originSuffixes,
    methods: new Set(policy.allowMethods),
    headers: new Set(policy.allowHeaders),
    exposeHeaders: [...policy.exposeHeaders],
    allowCredentials: policy.allowCredentials,
    maxAgeSec: policy.maxAgeSec,
  });
}

/**
 * Decides what CORS means for one request (Fetch standard). Pure: the proxy acts on it.
 * A preflight is `OPTIONS` with `Origin` and `Access-Control-Request-Method`; it is
 * answered here (before authentication: browsers send preflights without credentials)
 * and never forwarded. The `Origin: null` of sandboxed documents matches only when
 * listed as such, never through `*`.
 */
export function corsDecision(policy: ResolvedCorsPolicy, method: string, headers: Readonly<Record<string, string | string[] | undefined>>): CorsDecision {
  const origin = single(headers['origin']);
  if (origin === undefined) return { kind: 'none' };
  const requestMethod = single(headers['access-control-request-method']);
  const isPreflight = method.toUpperCase() === 'OPTIONS' && requestMethod !== undefined;
  const allowedOrigin = originAllowed(policy, origin);
  const vary: Record<string, string> = policy.anyOrigin && !policy.allowCredentials ? {} : { vary: 'Origin' };

  if (!isPreflight) {
    if (!allowedOrigin) return { kind: 'actual', headers: { ...vary } };
    return { kind: 'actual', headers: { ...originHeaders(policy, origin), ...(policy.exposeHeaders.length ? { 'access-control-expose-headers': policy.exposeHeaders.join(', ') } : {}), ...vary } };
  }

  const preflightVary = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  if (!allowedOrigin) return { kind: 'preflight-rejected', reason: 'origin not allowed', headers: preflightVary };
  const wanted = requestMethod!.toUpperCase();
  if (!policy.methods.has(wanted) && !SAFELISTED_METHODS.has(wanted)) return { kind: 'preflight-rejected', reason: `method ${wanted} not allowed`, headers: preflightVary };
  const requested = (single(headers['access-control-request-headers']) ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const refused = requested.find((h) => !policy.headers.has(h) && !SAFELISTED_HEADERS.has(h));
  if (refused !== undefined) return { kind: 'preflight-rejected', reason: `header ${refused} not allowed`, headers: preflightVary };
  const out: Record<string, string> = {
    ...originHeaders(policy, origin),
    'access-control-allow-methods': [...policy.methods].join(', '),
    'access-control-max-age': String(policy.maxAgeSec),
    ...preflightVary,
  };
  if (requested.length) out['access-control-allow-headers'] = requested.join(', ');
  return { kind: 'preflight-allowed', headers: out };
}

function originAllowed(policy: ResolvedCorsPolicy, origin: string): boolean {
  const o = origin.toLowerCase();
  if (policy.origins.has(o)) return true;
  if (o === 'null') return false;
  const m = /^(https?):\/\/([a-z0-9.-]+(?::\d{1,5})?)$/.exec(o);
  if (!m) return false;
  if (policy.anyOrigin) return true;
  return policy.originSuffixes.some((s) => s.scheme === m[1] && m[2]!.endsWith(s.suffix));
}

function originHeaders(policy: ResolvedCorsPolicy, origin: string): Record<string, string> {
  if (policy.anyOrigin && !policy.allowCredentials) return { 'access-control-allow-origin': '*' };
  return { 'access-control-allow-origin': origin, ...(policy.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}) };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
}
