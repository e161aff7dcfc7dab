import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateApiDefinition, type FieldProblem } from './index.js';
import { REDACTED } from './index.js';
import { hasMaskedSecrets, maskDefinitionSecrets, restoreMaskedSecrets } from './index.js';

const base = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
const rsaPrivate = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const rsaSmall = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
const secret = randomBytes(32).toString('base64url');
const SHA_A = 'a'.repeat(64);

function withPolicies(policies: unknown, extra: Record<string, unknown> = {}) {
  return { ...structuredClone(base), policies, ...extra };
}

function valid(input: unknown) {
  const r = validateApiDefinition(input);
  if (!r.ok) throw new Error(`expected valid, got ${JSON.stringify(r.problems)}`);
  return r.value;
}

function problems(input: unknown): FieldProblem[] {
  const r = validateApiDefinition(input);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

const FULL = {
  consumerHeader: 'X-Client',
  cors: { allowOrigins: ['https://App.example.com', 'https://*.shop.example:8443'], allowHeaders: ['Authorization', 'idempotency-key'], allowCredentials: true },
  auth: {
    apiKey: { in: { query: 'api_key' }, keys: [{ id: 'alice-1', sha256: SHA_A.toUpperCase(), consumer: 'alice' }, { sha256: 'b'.repeat(64), consumer: 'bob' }] },
    jwt: { keys: [{ ...rsa, kid: 'rs-1' }, { ...ec, kid: 'ec-1', alg: 'ES256', use: 'sig' }, { kty: 'oct', kid: 'hs-1', k: secret }], jwksUrl: 'https://idp.example/jwks.json', audiences: ['orders'] },
    allowConsumers: ['alice', 'carol'],
  },
  rateLimits: [{ name: 'per-ip', limit: 100, windowMs: 60_000 }, { name: 'tenant', limit: 10, windowMs: 1000, burst: 20, key: { by: 'header', name: 'X-Tenant' }, scope: 'local', failureMode: 'closed' }],
  idempotency: { required: true },
};

describe('policies: defaults and normalization', () => {
  it('fills every default of a full block and lower-cases names', () => {
    const def = valid(withPolicies(FULL, { routes: [{ name: 'create', methods: ['POST'], path: '/', rateLimits: [{ name: 'c', limit: 5, windowMs: 1000, key: { by: 'consumer' } }] }] }));
    expect(def.policies).toEqual({
      consumerHeader: 'x-client',
      cors: {
        allowOrigins: ['https://app.example.com', 'https://*.shop.example:8443'],
        allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowHeaders: ['authorization', 'idempotency-key'],
        exposeHeaders: [],
        allowCredentials: true,
        maxAgeSec: 600,
      },
      auth: {
        apiKey: { in: { query: 'api_key' }, forward: false, keys: [{ id: 'alice-1', sha256: SHA_A, consumer: 'alice' }, { id: null, sha256: 'b'.repeat(64), consumer: 'bob' }] },
        jwt: {
          keys: [{ ...rsa, kid: 'rs-1' }, { ...ec, kid: 'ec-1', alg: 'ES256', use: 'sig' }, { kty: 'oct', kid: 'hs-1', k: secret }],
          jwksUrl: 'https://idp.example/jwks.json',
          issuers: [],
          audiences: ['orders'],
          algorithms: ['ES256', 'HS256', 'RS256'],
          clockSkewSec: 30,
          requireExp: true,
          consumerClaim: 'sub',
          forward: true,
        },
        allowConsumers: ['alice', 'carol'],
      },
      rateLimits: [
        { name: 'per-ip', limit: 100, windowMs: 60_000, burst: 100, key: { by: 'ip' }, scope: 'global', failureMode: 'open' },
        { name: 'tenant', limit: 10, windowMs: 1000, burst: 20, key: { by: 'header', name: 'x-tenant' }, scope: 'local', failureMode: 'closed' },
      ],
      // The lock outlives the upstream's total timeout (60 s by default) and the 120 s default.
      idempotency: { methods: ['POST', 'PATCH'], required: true, headerName: 'idempotency-key', ttlMs: 86_400_000, lockTtlMs: 120_000, maxResponseBytes: 1_048_576 },
    });
    expect(def.routes[0]!.rateLimits).toEqual([{ name: 'c', limit: 5, windowMs: 1000, burst: 5, key: { by: 'consumer' }, scope: 'global', failureMode: 'open' }]);
  });

  it('is idempotent: the normalized definition validates to itself', () => {
    const def = valid(withPolicies(FULL));
    expect(valid(JSON.parse(JSON.stringify(def)))).toEqual(def);
  });

  it('derives the idempotency lock from a long upstream total timeout', () => {
    const def = valid({ ...withPolicies({ idempotency: {} }), upstream: { targets: [{ url: 'http://a' }], timeouts: { requestMs: 300_000 } } });
    expect(def.policies.idempotency!.lockTtlMs).toBe(301_000);
  });
});

describe('policies: problems with their paths', () => {
  it.each<[string, unknown, string]>([
    ['an unknown policy', { throttle: {} }, 'policies.throttle'],
    ['a reserved consumer header', { consumerHeader: 'X-Forwarded-For' }, 'policies.consumerHeader'],
    ['CORS without origins', { cors: {} }, 'policies.cors.allowOrigins'],
    ['an origin with a path', { cors: { allowOrigins: ['https://a.example/x'] } }, 'policies.cors.allowOrigins[0]'],
    ['"*" with credentials', { cors: { allowOrigins: ['*'], allowCredentials: true } }, 'policies.cors.allowCredentials'],
    ['"*" next to origins', { cors: { allowOrigins: ['*', 'https://a.example'] } }, 'policies.cors.allowOrigins'],
    ['a lower-case CORS method', { cors: { allowOrigins: ['*'], allowMethods: ['get'] } }, 'policies.cors.allowMethods[0]'],
    ['auth with neither scheme', { auth: {} }, 'policies.auth'],
    ['a short key hash', { auth: { apiKey: { keys: [{ sha256: 'abc', consumer: 'a' }] } } }, 'policies.auth.apiKey.keys[0].sha256'],
    ['a repeated key', { auth: { apiKey: { keys: [{ sha256: SHA_A, consumer: 'a' }, { sha256: SHA_A.toUpperCase(), consumer: 'b' }] } } }, 'policies.auth.apiKey.keys[1].sha256'],
    ['a bad consumer', { auth: { apiKey: { keys: [{ sha256: SHA_A, consumer: 'a b' }] } } }, 'policies.auth.apiKey.keys[0].consumer'],
    ['keys missing', { auth: { apiKey: {} } }, 'policies.auth.apiKey.keys'],
    ['a key location with both', { auth: { apiKey: { in: { header: 'x-k', query: 'k' }, keys: [] } } }, 'policies.auth.apiKey.in'],
    ['the key in the consumer header', { auth: { apiKey: { in: { header: 'x-consumer-id' }, keys: [] } } }, 'policies.auth.apiKey.in.header'],
    ['an empty allow-list', { auth: { apiKey: { keys: [] }, allowConsumers: [] } }, 'policies.auth.allowConsumers'],
    ['JWT without keys', { auth: { jwt: {} } }, 'policies.auth.jwt'],
    ['alg none', { auth: { jwt: { jwksUrl: 'https://idp/jwks', algorithms: ['none'] } } }, 'policies.auth.jwt.algorithms[0]'],
    ['a JWKS URL with credentials', { auth: { jwt: { jwksUrl: 'https://u:p@idp/jwks' } } }, 'policies.auth.jwt.jwksUrl'],
    ['a key its algorithms refuse', { auth: { jwt: { keys: [{ kty: 'oct', k: secret }], algorithms: ['RS256'] } } }, 'policies.auth.jwt.keys[0]'],
    ['a short HMAC secret', { auth: { jwt: { keys: [{ kty: 'oct', k: 'c2hvcnQ' }] } } }, 'policies.auth.jwt.keys[0].k'],
    ['a private RSA key', { auth: { jwt: { keys: [rsaPrivate] } } }, 'policies.auth.jwt.keys[0].d'],
    ['a 1024-bit RSA key', { auth: { jwt: { keys: [rsaSmall] } } }, 'policies.auth.jwt.keys[0]'],
    ['an EC key on P-384', { auth: { jwt: { keys: [ec384] } } }, 'policies.auth.jwt.keys[0].crv'],
    ['an alg that contradicts the key type', { auth: { jwt: { keys: [{ ...rsa, alg: 'HS256' }] } } }, 'policies.auth.jwt.keys[0].alg'],
    ['an encryption key', { auth: { jwt: { keys: [{ ...ec, use: 'enc' }] } } }, 'policies.auth.jwt.keys[0].use'],
    ['a repeated kid', { auth: { jwt: { keys: [{ ...rsa, kid: 'a' }, { ...ec, kid: 'a' }] } } }, 'policies.auth.jwt.keys[1].kid'],
    ['an unknown JWK member', { auth: { jwt: { keys: [{ ...ec, x5c: ['x'] }] } } }, 'policies.auth.jwt.keys[0].x5c'],
    ['a clock skew of 10 minutes', { auth: { jwt: { jwksUrl: 'https://idp/jwks', clockSkewSec: 600 } } }, 'policies.auth.jwt.clockSkewSec'],
    ['a rate limit without a window', { rateLimits: [{ name: 'a', limit: 1 }] }, 'policies.rateLimits[0].windowMs'],
    ['a zero limit', { rateLimits: [{ name: 'a', limit: 0, windowMs: 1000 }] }, 'policies.rateLimits[0].limit'],
    ['a rate limit name with "/"', { rateLimits: [{ name: 'a/b', limit: 1, windowMs: 1000 }] }, 'policies.rateLimits[0].name'],
    ['two limits with one name', { rateLimits: [{ name: 'a', limit: 1, windowMs: 1 }, { name: 'a', limit: 2, windowMs: 1 }] }, 'policies.rateLimits[1].name'],
    ['a header key without a name', { rateLimits: [{ name: 'a', limit: 1, windowMs: 1, key: { by: 'header' } }] }, 'policies.rateLimits[0].key.name'],
    ['an unknown key source', { rateLimits: [{ name: 'a', limit: 1, windowMs: 1, key: { by: 'cookie' } }] }, 'policies.rateLimits[0].key.by'],
    ['an unknown failure mode', { rateLimits: [{ name: 'a', limit: 1, windowMs: 1, failureMode: 'retry' }] }, 'policies.rateLimits[0].failureMode'],
    ['idempotency for GET', { idempotency: { methods: ['GET'] } }, 'policies.idempotency.methods[0]'],
    ['a lock below the upstream total timeout', { idempotency: { lockTtlMs: 60_000 } }, 'policies.idempotency.lockTtlMs'],
    ['a TTL below the lock', { idempotency: { ttlMs: 10_000 } }, 'policies.idempotency.ttlMs'],
    ['a 32 MiB response cap', { idempotency: { maxResponseBytes: 33_554_432 } }, 'policies.idempotency.maxResponseBytes'],
  ])('rejects %s', (_label, policies, path) => {
    expect(problems(withPolicies(policies)).map((p) => p.path)).toContain(path);
  });

  it('rejects policies that are not an object, and route limits with problems', () => {
    expect(problems(withPolicies(null)).map((p) => p.path)).toEqual(['policies']);
    const route = { name: 'create', path: '/', rateLimits: [{ name: 'x', limit: -1, windowMs: 1 }] };
    expect(problems({ ...base, routes: [route] }).map((p) => p.path)).toEqual(['routes[0].rateLimits[0].limit']);
  });

  it('refuses a route limiter id over 128 characters', () => {
    const name = 'r'.repeat(63);
    const def = { ...base, name: 'a'.repeat(63), routes: [{ name, path: '/', rateLimits: [{ name: 'n'.repeat(10), limit: 1, windowMs: 1 }] }] };
    expect(problems(def).map((p) => p.path)).toEqual(['routes[0].rateLimits[0].name']);
  });

  it('refuses plaintext API keys and never echoes a secret in a problem', () => {
    const plaintext = 'sk_live_very_secret_0123456789';
    const found = problems(withPolicies({ auth: { apiKey: { keys: [{ key: plaintext, consumer: 'alice' }] } } }));
    expect(found.map((p) => p.path)).toEqual(['policies.auth.apiKey.keys[0].key']);
    const short = randomBytes(8).toString('base64url');
    const all = [
      ...found,
      ...problems(withPolicies({ auth: { jwt: { keys: [{ kty: 'oct', k: short }] } } })),
      ...problems(withPolicies({ auth: { jwt: { keys: [{ kty: 'oct', k: `${secret}!` }] } } })),
      ...problems(withPolicies({ auth: { jwt: { keys: [rsaPrivate] } } })),
    ];
    const text = JSON.stringify(all);
    for (const s of [plaintext, short, secret, rsaPrivate.d!, rsaPrivate.p!]) expect(text).not.toContain(s);
  });
});

describe('secrets in deploy API responses', () => {
  const hs = { kty: 'oct', kid: 'hs-1', k: secret } as const;
  const stored = valid(withPolicies({ auth: { jwt: { keys: [hs, { ...rsa, kid: 'rs-1' }] } } }));

  it('masks the HMAC secret of an oct key, and only that, without changing the input', () => {
    const masked = maskDefinitionSecrets(stored);
    expect(masked.policies.auth!.jwt!.keys).toEqual([{ ...hs, k: REDACTED }, { ...rsa, kid: 'rs-1' }]);
    expect(JSON.stringify(masked)).not.toContain(secret);
    expect(stored.policies.auth!.jwt!.keys[0]!.k).toBe(secret);
    const plain = valid(base);
    expect(maskDefinitionSecrets(plain)).toBe(plain);
  });

  it('restores a masked secret from the stored key with the same kid, so GET → PUT round-trips', () => {
    const body = JSON.parse(JSON.stringify(maskDefinitionSecrets(stored)));
    expect(hasMaskedSecrets(body)).toBe(true);
    const restored = restoreMaskedSecrets(body, stored);
    expect(valid(restored)).toEqual(stored);
    // Nothing masked: the body itself comes back.
    expect(restoreMaskedSecrets(base, stored)).toBe(base);
  });

  it('refuses a mask it cannot restore (another kid, no stored API) at the key, without a secret in the message', () => {
    const body = withPolicies({ auth: { jwt: { keys: [{ kty: 'oct', kid: 'other', k: REDACTED }] } } });
    for (const input of [restoreMaskedSecrets(body, stored), restoreMaskedSecrets(body, undefined)]) {
      const found = problems(input);
      expect(found.map((p) => p.path)).toEqual(['policies.auth.jwt.keys[0].k']);
      expect(found[0]!.message).toContain('stored secret');
    }
  });
});
