import type { SnapshotApiKeyAuth, SnapshotAuth, SnapshotCors, SnapshotIdempotency, SnapshotJwtAuth, SnapshotPolicies, SnapshotRateLimit } from '@gw/config-contract';
import type { Policies, Policies__Output } from './generated/gateway/config/v1/Policies.js';
import type { RateLimit, RateLimit__Output } from './generated/gateway/config/v1/RateLimit.js';

/** Domain policies → protobuf. Every field is set, sub-messages included. */
export function policiesToProto(p: SnapshotPolicies): Policies {
  const { cors, auth, idempotency: idem } = p;
  const { apiKey, jwt } = auth;
  return {
    consumerHeader: p.consumerHeader,
    cors: {
      enabled: cors.enabled,
      allowOrigins: cors.allowOrigins,
      allowMethods: cors.allowMethods,
      allowHeaders: cors.allowHeaders,
      exposeHeaders: cors.exposeHeaders,
      allowCredentials: cors.allowCredentials,
      maxAgeSec: cors.maxAgeSec,
    },
    auth: {
      enabled: auth.enabled,
      apiKey: {
        enabled: apiKey.enabled,
        location: apiKey.location,
        name: apiKey.name,
        forward: apiKey.forward,
        keys: apiKey.keys.map((k) => ({ id: k.id, sha256: k.sha256, consumer: k.consumer })),
      },
      jwt: {
        enabled: jwt.enabled,
        keys: jwt.keys.map((k) => ({ kty: k.kty, kid: k.kid, alg: k.alg, use: k.use, crv: k.crv, x: k.x, y: k.y, n: k.n, e: k.e, k: k.k })),
        jwksUrl: jwt.jwksUrl,
        issuers: jwt.issuers,
        audiences: jwt.audiences,
        algorithms: jwt.algorithms,
        clockSkewSec: jwt.clockSkewSec,
        requireExp: jwt.requireExp,
        consumerClaim: jwt.consumerClaim,
        forward: jwt.forward,
      },
      allowConsumers: auth.allowConsumers,
    },
    rateLimits: p.rateLimits.map(rateLimitToProto),
    idempotency: {
      enabled: idem.enabled,
      methods: idem.methods,
      required: idem.required,
      headerName: idem.headerName,
      ttlMs: idem.ttlMs,
      lockTtlMs: idem.lockTtlMs,
      maxResponseBytes: idem.maxResponseBytes,
    },
  };
}

export function rateLimitToProto(r: SnapshotRateLimit): RateLimit {
  return { name: r.name, limit: r.limit, windowMs: r.windowMs, burst: r.burst, key: { by: r.key.by, name: r.key.name }, scope: r.scope, failureMode: r.failureMode };
}

/** As in snapshot-codec.ts: a missing sub-message decodes to null, so validation names it (a NACK, not an exception). */
function missing<T>(): T {
  return null as unknown as T;
}

/** Protobuf → domain policies; never throws, never invents data. */
export function policiesFromProto(p: Policies__Output | null | undefined): SnapshotPolicies {
  if (p === null || p === undefined) return missing<SnapshotPolicies>();
  const cors = p.cors;
  const auth = p.auth;
  const idem = p.idempotency;
  return {
    consumerHeader: p.consumerHeader,
    cors: cors
      ? {
          enabled: cors.enabled,
          allowOrigins: [...cors.allowOrigins],
          allowMethods: [...cors.allowMethods],
          allowHeaders: [...cors.allowHeaders],
          exposeHeaders: [...cors.exposeHeaders],
          allowCredentials: cors.allowCredentials,
          maxAgeSec: cors.maxAgeSec,
        }
      : missing<SnapshotCors>(),
    auth: auth
      ? {
          enabled: auth.enabled,
          apiKey: auth.apiKey
            ? {
                enabled: auth.apiKey.enabled,
                location: auth.apiKey.location as SnapshotApiKeyAuth['location'],
                name: auth.apiKey.name,
                forward: auth.apiKey.forward,
                keys: auth.apiKey.keys.map((k) => ({ id: k.id, sha256: k.sha256, consumer: k.consumer })),
              }
            : missing<SnapshotApiKeyAuth>(),
          jwt: auth.jwt
            ? {
                enabled: auth.jwt.enabled,
                keys: auth.jwt.keys.map((k) => ({ kty: k.kty, kid: k.kid, alg: k.alg, use: k.use, crv: k.crv, x: k.x, y: k.y, n: k.n, e: k.e, k: k.k })),
                jwksUrl: auth.jwt.jwksUrl,
                issuers: [...auth.jwt.issuers],
                audiences: [...auth.jwt.audiences],
                algorithms: [...auth.jwt.algorithms],
                clockSkewSec: auth.jwt.clockSkewSec,
                requireExp: auth.jwt.requireExp,
                consumerClaim: auth.jwt.consumerClaim,
                forward: auth.jwt.forward,
              }
            : missing<SnapshotJwtAuth>(),
          allowConsumers: [...auth.allowConsumers],
        }
      : missing<SnapshotAuth>(),
    rateLimits: p.rateLimits.map(rateLimitFromProto),
    idempotency: idem
      ? {
          enabled: idem.enabled,
          methods: [...idem.methods],
          required: idem.required,
          headerName: idem.headerName,
          ttlMs: idem.ttlMs,
          lockTtlMs: idem.lockTtlMs,
          maxResponseBytes: idem.maxResponseBytes,
        }
      : missing<SnapshotIdempotency>(),
  };
}

export function rateLimitFromProto(r: RateLimit__Output): SnapshotRateLimit {
  return {
    name: r.name,
    limit: r.limit,
    windowMs: r.windowMs,
    burst: r.burst,
    key: r.key ? { by: r.key.by as SnapshotRateLimit['key']['by'], name: r.key.name } : missing<SnapshotRateLimit['key']>(),
    scope: r.scope as SnapshotRateLimit['scope'],
    failureMode: r.failureMode as SnapshotRateLimit['failureMode'],
  };
}
