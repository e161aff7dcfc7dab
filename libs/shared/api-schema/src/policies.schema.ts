import { z } from 'zod';
import { describeType } from './field-problems.js';
import { integer, noDuplicates, normalizedString, nullableStringBase, quote, strictBlock, uniqueList } from './field-kinds.js';
import { headerNameRule } from './header-name.js';
import { JWK_MEMBERS, JWK_TYPES, JWT_ALGORITHMS, checkJwk, jwkAlgorithm, type Jwk, type JwtAlgorithm } from './jwk.js';
import { POLICY_LIMITS as L } from './limits.js';
import { ROUTE_METHODS } from './methods.js';
import { secretField } from './secret-mark.js';

/**
 * The `policies` block of an API definition (and `rateLimits` of a route): CORS,
 * authentication, rate limits and idempotency keys, run by the runtime after routing and
 * before the upstream. Secrets: API keys are stored only as SHA-256 hashes (plaintext keys
 * are refused), JWKs only as public keys or HMAC secrets (`oct`); the `k` of an `oct` key
 * is the only secret a definition holds, and the deploy API never returns it.
 */

const CONSUMER = /^[A-Za-z0-9._@:-]{1,128}$/;
const CONSUMER_MESSAGE = `must be 1-${L.consumerMaxLength} characters of letters, digits and ._@:-`;
const KEY_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const RATE_LIMIT_NAME = /^[A-Za-z0-9._:-]{1,64}$/;
const QUERY_PARAM = /^[A-Za-z0-9._~-]{1,64}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const ORIGIN = /^(https?):\/\/(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:(\d{1,5}))?$/;
const CLAIM = /^[\x21-\x7e]{1,128}$/;
const VISIBLE = /^[\x20-\x7e]+$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const UNSAFE_METHODS = ROUTE_METHODS.filter((m) => !['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(m));

/** A header a policy uses, lower-cased; reserved headers refused. */
const headerName = () => normalizedString(headerNameRule);

/** A list of normalized strings without repeats (after normalization): "duplicates path[i]". */
function stringList(max: number, item: (v: string) => string | { problem: string }, requiredMessage?: string) {
  return uniqueList(normalizedString(item), max, { key: (v) => v }, requiredMessage);
}

function originItem(v: string): string | { problem: string } {
  if (v === '*' || v === 'null') return v;
  const lower = v.toLowerCase();
  const m = ORIGIN.exec(lower);
  if (m === null) return { problem: 'must be an origin "scheme://host[:port]" (http or https, no path), "scheme://*.domain", "null" or "*"' };
  const port = m[8];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535 || port.startsWith('0'))) return { problem: 'must have a port between 1 and 65535' };
  return lower;
}

const methodItem = (allowed: readonly string[], message: string) => (v: string) => (allowed.includes(v) ? v : { problem: message });
const tokenItem = (v: string) => (TOKEN.test(v) && v.length <= L.headerNameMaxLength ? v.toLowerCase() : { problem: `must be a header name (1-${L.headerNameMaxLength} token characters)` });

const Cors = strictBlock(
  {
    allowOrigins: stringList(L.corsOriginsMax, originItem, 'is required: the origins allowed to call this API (or ["*"])')
      .min(1)
      .superRefine((list, ctx) => {
        if (list.includes('*') && list.length > 1) ctx.addIssue({ code: 'custom', message: 'must be ["*"] alone or a list of origins, not both', input: list });
      })
      .meta({ description: 'Lower-case `scheme://host[:port]`, `scheme://*.domain`, `null`, or `["*"]` alone.' }),
    allowMethods: stringList(ROUTE_METHODS.length, methodItem(ROUTE_METHODS, `must be one of ${ROUTE_METHODS.join(', ')} (upper-case)`))
      .default(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])
      .meta({ description: 'Upper-case; the CORS-safelisted GET, HEAD and POST are always allowed.' }),
    allowHeaders: stringList(L.corsHeadersMax, tokenItem).default([]).meta({ description: 'Request headers a browser may send beyond the safelisted ones (lower-cased).' }),
    exposeHeaders: stringList(L.corsHeadersMax, tokenItem).default([]).meta({ description: 'Response headers scripts may read (lower-cased).' }),
    allowCredentials: z.boolean().default(false).meta({ description: 'Cookies and HTTP auth; never with `"*"`.' }),
    maxAgeSec: integer(0, L.corsMaxAgeSecMax).default(600),
  },
  true,
).superRefine((cors, ctx) => {
  if (cors.allowCredentials && cors.allowOrigins.includes('*')) {
    ctx.addIssue({ code: 'custom', path: ['allowCredentials'], message: 'must be false with allowOrigins ["*"]: credentials need explicit origins', input: true });
  }
});

const KEY_LOCATION_MESSAGE = 'must be {"header": name} or {"query": name}';
/** Where clients put their API key: a request header (lower-case) or a query parameter. */
export type ApiKeyLocation = { header: string } | { query: string };

const ApiKeyLocationBlock = z
  .strictObject(
    {
      header: headerName().optional(),
      query: z.string().regex(QUERY_PARAM, { error: 'must be a query parameter name: 1-64 of letters, digits and ._~-' }).optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? KEY_LOCATION_MESSAGE : issue.code === 'invalid_type' && issue.input !== undefined ? `${KEY_LOCATION_MESSAGE}, not ${describeType(issue.input)}` : undefined) },
  )
  .superRefine((value, ctx) => {
    if (Object.keys(value).length !== 1) ctx.addIssue({ code: 'custom', message: KEY_LOCATION_MESSAGE, input: value });
  })
  .transform((value) => value as ApiKeyLocation)
  .meta({ minProperties: 1, maxProperties: 1 });

const PLAINTEXT_KEY = 'plaintext keys are not accepted: store the key\'s SHA-256 as "sha256" (printf %s "$KEY" | sha256sum)';

const ApiKeyEntry = strictBlock({
  id: nullableStringBase()
    .regex(KEY_ID, { error: 'must be null or 1-128 characters of letters, digits and ._:@-' })
    .nullable()
    .default(null)
    .meta({ description: 'A label for logs and audits, never the key.' }),
  sha256: z
    .string()
    .regex(HEX64, { error: 'must be 64 hex digits: the SHA-256 of the key' })
    .transform((v) => v.toLowerCase())
    .optional()
    .meta({ description: 'Hex SHA-256 of the key (`printf %s "$KEY" | sha256sum`); stored lower-case.' }),
  consumer: z.string().regex(CONSUMER, { error: CONSUMER_MESSAGE }),
  // Never echoed: a plaintext key must not come back in an error either.
  key: z.never({ error: PLAINTEXT_KEY }).optional().meta({ description: 'Refused: give `sha256`.' }),
})
  .superRefine((entry, ctx) => {
    if (entry.sha256 === undefined) ctx.addIssue({ code: 'custom', path: ['sha256'], message: 'is required (the hex SHA-256 of the key)', input: undefined });
  })
  .transform(({ id, sha256, consumer }) => ({ id, sha256: sha256!, consumer }));

const ApiKeyAuth = strictBlock(
  {
    in: ApiKeyLocationBlock.default({ header: 'x-api-key' }).meta({ description: '`{"header": name}` or `{"query": name}`.' }),
    forward: z.boolean().default(false).meta({ description: 'Forward the key to the upstream (default: removed).' }),
    keys: z
      .array(ApiKeyEntry, { error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required: [{ "sha256": <hex SHA-256 of the key>, "consumer": name }] ([] revokes every key)' : undefined) })
      .max(L.apiKeysMax)
      .superRefine((keys, ctx) => {
        noDuplicates(keys, ctx, { key: (k) => k.sha256, field: 'sha256', verb: 'repeats', detail: () => '(the same key twice)' });
        noDuplicates(keys, ctx, { key: (k) => k.id ?? undefined, field: 'id', verb: 'repeats', detail: (k) => `(${quote(k.id!)})` });
      })
      .meta({ description: 'May be empty (every key revoked: every request 401).' }),
  },
  true,
);

const JwkBlock = z
  .looseObject(
    {
      kty: z.enum(JWK_TYPES, { error: (issue) => (issue.input === undefined ? 'is required ("RSA", "EC" or "oct")' : 'must be "RSA", "EC" or "oct"') }),
      ...Object.fromEntries(
        JWK_MEMBERS.filter((m) => m !== 'kty').map((m) => {
          const member = z
            .string()
            .min(1, { error: `must be 1-${L.jwkMemberMaxLength} characters` })
            .max(L.jwkMemberMaxLength, { error: `must be 1-${L.jwkMemberMaxLength} characters` });
          // `k`, the HMAC secret of an `oct` key, is the definition's one secret today.
          return [m, (m === 'k' ? secretField(member) : member).optional()];
        }),
      ),
    },
    { error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? `must be a JSON Web Key object, not ${describeType(issue.input)}` : undefined) },
  )
  .transform((value, ctx) => {
    const checked = checkJwk(value as Record<string, unknown> & { kty: Jwk['kty'] });
    if (!Array.isArray(checked)) return checked;
    for (const p of checked) ctx.addIssue({ code: 'custom', path: p.member === undefined ? [] : [p.member], message: p.message, input: undefined });
    return z.NEVER;
  })
  .meta({ additionalProperties: false, description: 'RSA (≥ 2048 bits) and EC P-256 public keys, `oct` HMAC secrets (≥ 256 bits); the type fixes the one algorithm a key verifies.' });

const claimValue = (v: string) => (v.length <= L.jwtClaimValueMaxLength && VISIBLE.test(v) ? v : { problem: `must be 1-${L.jwtClaimValueMaxLength} printable ASCII characters` });

const JwtAuth = strictBlock(
  {
    keys: z
      .array(JwkBlock, { error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? `must be an array of JSON Web Keys, not ${describeType(issue.input)}` : undefined) })
      .max(L.jwtKeysMax)
      .superRefine((keys, ctx) => noDuplicates(keys, ctx, { key: (k) => k.kid, field: 'kid', verb: 'repeats', detail: (k) => `(${quote(k.kid!)})` }))
      .default([])
      .meta({ description: 'Inline JWKs, tried in this order.' }),
    jwksUrl: normalizedString((v) => {
      if (v.length > L.jwksUrlMaxLength || !/^https?:\/\/[^/@?#\s]+(?:[/?][^#\s]*)?$/i.test(v)) {
        return { problem: `must be an http:// or https:// URL without credentials or fragment, at most ${L.jwksUrlMaxLength} characters` };
      }
      return URL.canParse(v) ? v : { problem: 'must be a valid URL' };
    }, nullableStringBase())
      .nullable()
      .default(null)
      .meta({ description: 'A JWKS document the runtime fetches and caches; `null`: inline keys only.' }),
    issuers: stringList(L.jwtClaimValuesMax, claimValue).default([]).meta({ description: 'Accepted `iss` values; empty: not checked.' }),
    audiences: stringList(L.jwtClaimValuesMax, claimValue).default([]).meta({ description: 'Accepted `aud` values; empty: not checked.' }),
    algorithms: stringList(JWT_ALGORITHMS.length, methodItem(JWT_ALGORITHMS, `must be one of ${JWT_ALGORITHMS.join(', ')} ("none" is never accepted)`))
      .min(1)
      .transform((list) => [...list].sort() as JwtAlgorithm[])
      .default([...JWT_ALGORITHMS])
      .meta({ description: 'Sorted; each key still verifies only the one algorithm its type allows.' }),
    clockSkewSec: integer(0, L.jwtClockSkewSecMax).default(30),
    requireExp: z.boolean().default(true),
    consumerClaim: z.string().regex(CLAIM, { error: 'must be a claim name: 1-128 visible ASCII characters' }).default('sub').meta({ description: 'The claim that names the consumer.' }),
    forward: z.boolean().default(true).meta({ description: 'Forward `Authorization` to the upstream.' }),
  },
  true,
).superRefine((jwt, ctx) => {
  if (jwt.keys.length === 0 && jwt.jwksUrl === null) {
    ctx.addIssue({ code: 'custom', message: 'needs inline "keys" or a "jwksUrl" (or both)', input: jwt });
    return;
  }
  const unusable = jwt.keys.findIndex((k) => !jwt.algorithms.includes(jwkAlgorithm(k.kty)));
  if (unusable !== -1) {
    const kty = jwt.keys[unusable]!.kty;
    ctx.addIssue({ code: 'custom', path: ['keys', unusable], message: `is a ${kty} key, which verifies ${jwkAlgorithm(kty)}, but algorithms does not allow it`, input: undefined });
  }
});

const Auth = strictBlock(
  {
    apiKey: ApiKeyAuth.nullable().default(null),
    jwt: JwtAuth.nullable().default(null),
    allowConsumers: stringList(L.allowConsumersMax, (v) => (CONSUMER.test(v) ? v : { problem: CONSUMER_MESSAGE }))
      .min(1, { error: 'must have at least 1 item (null allows every authenticated consumer)' })
      .nullable()
      .default(null)
      .meta({ description: 'Consumers allowed to call the API; `null`: every authenticated consumer.' }),
  },
  true,
).superRefine((auth, ctx) => {
  if (auth.apiKey === null && auth.jwt === null) ctx.addIssue({ code: 'custom', message: 'needs "apiKey" or "jwt" (or both); use null for an anonymous API', input: auth });
});

export type RateLimitKey = { by: 'ip' } | { by: 'consumer' } | { by: 'header'; name: string };

const RATE_LIMIT_KEY_MESSAGE = 'must be {"by": "ip"}, {"by": "consumer"} or {"by": "header", "name": header}';
const RateLimitKeyBlock = z
  .strictObject(
    {
      by: z.enum(['ip', 'consumer', 'header'], { error: 'must be "ip", "consumer" or "header"' }),
      name: headerName().optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? `${RATE_LIMIT_KEY_MESSAGE}, not ${describeType(issue.input)}` : undefined) },
  )
  .superRefine((key, ctx) => {
    if (key.by === 'header' && key.name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required', input: undefined });
    if (key.by !== 'header' && key.name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'unknown field', input: key.name });
  })
  .transform((key) => (key.by === 'header' ? { by: 'header', name: key.name! } : { by: key.by }) as RateLimitKey);

/** One rate limit (of `policies.rateLimits` or a route's `rateLimits`). */
const RateLimit = strictBlock({
  name: z.string().regex(RATE_LIMIT_NAME, { error: 'must be 1-64 characters of letters, digits and ._:-' }).meta({ description: 'Unique in its list; the runtime counts under `<api>/<name>` (route limits `<api>/<route>/<name>`).' }),
  limit: integer(1, L.rateLimitMax).meta({ description: 'Requests per window.' }),
  windowMs: integer(1, L.rateLimitWindowMaxMs),
  burst: integer(1, L.rateLimitMax).optional().meta({ description: 'Requests allowed at once.', 'x-default': '`limit`' }),
  key: RateLimitKeyBlock.default({ by: 'ip' }).meta({ description: 'What is counted: `{"by": "ip"}`, `{"by": "consumer"}` or `{"by": "header", "name": header}`.' }),
  scope: z.enum(['global', 'local'], { error: 'must be "global" or "local"' }).default('global').meta({ description: '`global`: shared by every runtime through Redis; `local`: per runtime.' }),
  failureMode: z.enum(['open', 'closed'], { error: 'must be "open" or "closed"' }).default('open').meta({ description: 'When Redis fails: `open` falls back to a local limiter, `closed` answers 503.' }),
}).transform(({ burst, ...r }) => ({ ...r, burst: burst ?? r.limit }));

export const RateLimitsSchema = uniqueList(RateLimit, L.rateLimitsMax, { key: (r) => r.name, field: 'name', detail: (r) => `(${quote(r.name)})` })
  .default([])
  .meta({ description: 'Every one applies; a request must pass all of them.' });

const Idempotency = strictBlock(
  {
    methods: stringList(UNSAFE_METHODS.length, methodItem(UNSAFE_METHODS, `must be one of ${UNSAFE_METHODS.join(', ')} (safe methods are idempotent already)`))
      .min(1)
      .default(['POST', 'PATCH'])
      .meta({ description: 'Unsafe methods whose requests carry keys.' }),
    required: z.boolean().default(false).meta({ description: 'Refuse a covered request without a key (400).' }),
    headerName: headerName().default('idempotency-key'),
    ttlMs: integer(L.idempotencyTtlMinMs, L.idempotencyTtlMaxMs).default(86_400_000).meta({ description: 'How long a completed response is kept for replays.' }),
    lockTtlMs: integer(L.idempotencyLockTtlMinMs, L.idempotencyTtlMaxMs)
      .optional()
      .meta({ description: "How long a claim blocks repeats while the first request runs; above the upstream's `timeouts.totalMs`, at most `ttlMs`.", 'x-default': '120000, or `timeouts.totalMs` + 1000 when that is longer' }),
    maxResponseBytes: integer(0, L.idempotencyMaxResponseBytesMax).default(1_048_576).meta({ description: 'Larger responses are not kept (a repeat gets 409).' }),
  },
  true,
);

/** The `policies` block; absent: every policy off, the consumer header still stripped from client requests. */
export const PoliciesSchema = strictBlock({
  consumerHeader: headerName()
    .default('x-consumer-id')
    .meta({ description: 'The request header that names the authenticated consumer to the upstream; every client-sent copy is removed, so it cannot be spoofed.' }),
  cors: Cors.nullable().default(null).meta({ description: '`null`: no CORS handling (preflights are routed like any request).' }),
  auth: Auth.nullable().default(null).meta({ description: '`null`: an anonymous API.' }),
  rateLimits: RateLimitsSchema,
  idempotency: Idempotency.nullable().default(null).meta({ description: '`null`: idempotency keys are not handled (the header goes to the upstream as is).' }),
}).superRefine((p, ctx) => {
  // One header, one meaning: the consumer header is set by the gateway, the others come from clients.
  const keyIn = p.auth?.apiKey?.in;
  if (keyIn !== undefined && 'header' in keyIn && keyIn.header === p.consumerHeader) {
    ctx.addIssue({ code: 'custom', path: ['auth', 'apiKey', 'in', 'header'], message: `must differ from consumerHeader ("${p.consumerHeader}")`, input: keyIn.header });
  }
  if (p.idempotency !== null && p.idempotency.headerName === p.consumerHeader) {
    ctx.addIssue({ code: 'custom', path: ['idempotency', 'headerName'], message: `must differ from consumerHeader ("${p.consumerHeader}")`, input: p.idempotency.headerName });
  }
});
