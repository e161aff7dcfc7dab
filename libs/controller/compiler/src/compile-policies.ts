import type { Jwk, Policies, RateLimitDefinition } from '@gw/api-schema';
import { noPolicies, type SnapshotJwk, type SnapshotPolicies, type SnapshotRateLimit } from '@gw/config-contract';

/**
 * An API's policies with every default explicit: a block that is off is its disabled
 * form, lists whose order carries no meaning are sorted, absent strings are `''`. Rate
 * limits and JWKs keep the operator's order (the RateLimit header's item order, the order
 * keys are tried in).
 */
export function compilePolicies(p: Policies): SnapshotPolicies {
  const out = noPolicies();
  out.consumerHeader = p.consumerHeader;
  if (p.cors) {
    out.cors = {
      enabled: true,
      allowOrigins: sorted(p.cors.allowOrigins),
      allowMethods: sorted(p.cors.allowMethods),
      allowHeaders: sorted(p.cors.allowHeaders),
      exposeHeaders: sorted(p.cors.exposeHeaders),
      allowCredentials: p.cors.allowCredentials,
      maxAgeSec: p.cors.maxAgeSec,
    };
  }
  if (p.auth) {
    const { apiKey, jwt } = p.auth;
    out.auth.enabled = true;
    out.auth.allowConsumers = sorted(p.auth.allowConsumers ?? []);
    if (apiKey) {
      const header = 'header' in apiKey.in;
      out.auth.apiKey = {
        enabled: true,
        location: header ? 'header' : 'query',
        name: 'header' in apiKey.in ? apiKey.in.header : apiKey.in.query,
        forward: apiKey.forward,
        keys: apiKey.keys
          .map((k) => ({ id: k.id ?? '', sha256: k.sha256.toLowerCase(), consumer: k.consumer }))
          .sort((a, b) => compareCodePoints(a.sha256, b.sha256)),
      };
    }
    if (jwt) {
      out.auth.jwt = {
        enabled: true,
        keys: jwt.keys.map(compileJwk),
        jwksUrl: jwt.jwksUrl ?? '',
        issuers: sorted(jwt.issuers),
        audiences: sorted(jwt.audiences),
        algorithms: sorted(jwt.algorithms),
        clockSkewSec: jwt.clockSkewSec,
        requireExp: jwt.requireExp,
        consumerClaim: jwt.consumerClaim,
        forward: jwt.forward,
      };
    }
  }
  out.rateLimits = p.rateLimits.map(compileRateLimit);
  if (p.idempotency) {
    const i = p.idempotency;
    out.idempotency = { enabled: true, methods: sorted(i.methods), required: i.required, headerName: i.headerName, ttlMs: i.ttlMs, lockTtlMs: i.lockTtlMs, maxResponseBytes: i.maxResponseBytes };
  }
  return out;
}

export function compileRateLimit(r: RateLimitDefinition): SnapshotRateLimit {
  return {
    name: r.name,
    limit: r.limit,
    windowMs: r.windowMs,
    burst: r.burst,
    key: { by: r.key.by, name: r.key.by === 'header' ? r.key.name.toLowerCase() : '' },
    scope: r.scope,
    failureMode: r.failureMode,
  };
}

/** Only the known members (a stored JWK with extra keys never leaks them into the hash), `''` when absent. */
function compileJwk(k: Jwk): SnapshotJwk {
  return { kty: k.kty, kid: k.kid ?? '', alg: k.alg ?? '', use: k.use ?? '', crv: k.crv ?? '', x: k.x ?? '', y: k.y ?? '', n: k.n ?? '', e: k.e ?? '', k: k.k ?? '' };
}

function sorted(list: readonly string[]): string[] {
  return [...new Set(list)].sort(compareCodePoints);
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
