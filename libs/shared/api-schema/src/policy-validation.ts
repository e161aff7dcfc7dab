import { ROUTE_METHODS, type Timeouts } from './api-definition.js';
import {
  ProblemList,
  checkOptionalBoolean,
  checkOptionalInteger,
  checkOptionalObject,
  describeType,
  field,
  isObject,
  join,
  rejectUnknownFields,
  type JsonObject,
} from './field-checks.js';
import { checkJwk, jwkAlgorithm } from './jwk-validation.js';
import {
  JWT_ALGORITHMS,
  POLICY_DEFAULTS as D,
  POLICY_LIMITS as L,
  type ApiKeyAuth,
  type ApiKeyEntry,
  type ApiKeyLocation,
  type AuthPolicy,
  type CorsPolicy,
  type IdempotencyPolicy,
  type Jwk,
  type JwtAlgorithm,
  type JwtAuth,
  type Policies,
  type RateLimitDefinition,
  type RateLimitKey,
} from './policy-definition.js';

const POLICY_FIELDS = ['consumerHeader', 'cors', 'auth', 'rateLimits', 'idempotency'] as const;
const CORS_FIELDS = ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'allowCredentials', 'maxAgeSec'] as const;
const AUTH_FIELDS = ['apiKey', 'jwt', 'allowConsumers'] as const;
const API_KEY_FIELDS = ['in', 'forward', 'keys'] as const;
const KEY_ENTRY_FIELDS = ['id', 'sha256', 'consumer'] as const;
const JWT_FIELDS = ['keys', 'jwksUrl', 'issuers', 'audiences', 'algorithms', 'clockSkewSec', 'requireExp', 'consumerClaim', 'forward'] as const;
const RATE_LIMIT_FIELDS = ['name', 'limit', 'windowMs', 'burst', 'key', 'scope', 'failureMode'] as const;
const IDEMPOTENCY_FIELDS = ['methods', 'required', 'headerName', 'ttlMs', 'lockTtlMs', 'maxResponseBytes'] as const;

/** RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONSUMER = /^[A-Za-z0-9._@:-]{1,128}$/;
const KEY_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const RATE_LIMIT_NAME = /^[A-Za-z0-9._:-]{1,64}$/;
const QUERY_PARAM = /^[A-Za-z0-9._~-]{1,64}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const ORIGIN = /^(https?):\/\/(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:(\d{1,5}))?$/;
const CLAIM = /^[\x21-\x7e]{1,128}$/;
const VISIBLE = /^[\x20-\x7e]+$/;
const UNSAFE_METHODS = ROUTE_METHODS.filter((m) => !['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(m));
/**
 * Headers a policy may not claim: framing, hop-by-hop, the gateway's own forwarding
 * headers, and credentials. Taking one over would break requests or let a policy forge
 * what the gateway vouches for.
 */
const RESERVED_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect',
  'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'traceparent', 'tracestate',
  'authorization', 'proxy-authorization', 'cookie', 'origin',
]);

/** Absent: every policy off, the consumer header still stripped from client requests. */
export function defaultPolicies(): Policies {
  return { consumerHeader: D.consumerHeader, cors: null, auth: null, rateLimits: [], idempotency: null };
}

/**
 * Checks `policies`. `timeouts` (the upstream's, when valid) bound the idempotency lock:
 * a claim must outlive every try of the request it guards.
 */
export function checkPolicies(value: unknown, timeouts: Timeouts | undefined, problems: ProblemList): Policies | undefined {
  const path = 'policies';
  const obj = checkOptionalObject(value, path, false, problems);
  if (obj === undefined || obj === 'null') return undefined;
  if (obj === 'absent') return defaultPolicies();
  const before = problems.count;
  const consumerHeader = headerName(field(obj, 'consumerHeader'), join(path, 'consumerHeader'), D.consumerHeader, problems);
  const cors = checkCors(field(obj, 'cors'), join(path, 'cors'), problems);
  const auth = checkAuth(field(obj, 'auth'), join(path, 'auth'), problems);
  const rateLimits = checkRateLimits(field(obj, 'rateLimits'), join(path, 'rateLimits'), problems);
  const idempotency = checkIdempotency(field(obj, 'idempotency'), join(path, 'idempotency'), timeouts, problems);
  rejectUnknownFields(obj, POLICY_FIELDS, path, problems);
  if (problems.count !== before || consumerHeader === undefined || cors === undefined || auth === undefined || rateLimits === undefined || idempotency === undefined) {
    return undefined;
  }
  // One header, one meaning: the consumer header is set by the gateway, the others come from clients.
  if (auth?.apiKey && 'header' in auth.apiKey.in && auth.apiKey.in.header === consumerHeader) {
    problems.add(join(path, 'auth.apiKey.in.header'), `must differ from consumerHeader ("${consumerHeader}")`);
    return undefined;
  }
  if (idempotency && idempotency.headerName === consumerHeader) {
    problems.add(join(path, 'idempotency.headerName'), `must differ from consumerHeader ("${consumerHeader}")`);
    return undefined;
  }
  return { consumerHeader, cors, auth, rateLimits, idempotency };
}

function checkCors(value: unknown, path: string, problems: ProblemList): CorsPolicy | null | undefined {
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'absent' || obj === 'null') return null;
  const before = problems.count;
  const allowOrigins = checkOrigins(field(obj, 'allowOrigins'), join(path, 'allowOrigins'), problems);
  const allowMethods = stringList(field(obj, 'allowMethods'), join(path, 'allowMethods'), [...D.corsAllowMethods], ROUTE_METHODS.length, methodItem, problems);
  const allowHeaders = stringList(field(obj, 'allowHeaders'), join(path, 'allowHeaders'), [], L.corsHeadersMax, tokenItem, problems);
  const exposeHeaders = stringList(field(obj, 'exposeHeaders'), join(path, 'exposeHeaders'), [], L.corsHeadersMax, tokenItem, problems);
  const allowCredentials = checkOptionalBoolean(field(obj, 'allowCredentials'), join(path, 'allowCredentials'), problems);
  const maxAgeSec = checkOptionalInteger(field(obj, 'maxAgeSec'), join(path, 'maxAgeSec'), 0, L.corsMaxAgeSecMax, problems);
  rejectUnknownFields(obj, CORS_FIELDS, path, problems);
  if (problems.count !== before || !allowOrigins || !allowMethods || !allowHeaders || !exposeHeaders || allowCredentials === null || maxAgeSec === null) return undefined;
  if (allowCredentials === true && allowOrigins.includes('*')) {
    problems.add(join(path, 'allowCredentials'), 'must be false with allowOrigins ["*"]: credentials need explicit origins');
    return undefined;
  }
  return { allowOrigins, allowMethods, allowHeaders, exposeHeaders, allowCredentials: allowCredentials ?? false, maxAgeSec: maxAgeSec ?? D.corsMaxAgeSec };
}

function checkOrigins(value: unknown, path: string, problems: ProblemList): string[] | undefined {
  if (value === undefined) {
    problems.add(path, 'is required: the origins allowed to call this API (or ["*"])');
    return undefined;
  }
  const list = stringList(value, path, [], L.corsOriginsMax, originItem, problems);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    problems.add(path, 'must have at least 1 item');
    return undefined;
  }
  if (list.includes('*') && list.length > 1) {
    problems.add(path, 'must be ["*"] alone or a list of origins, not both');
    return undefined;
  }
  return list;
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

function methodItem(v: string): string | { problem: string } {
  return (ROUTE_METHODS as readonly string[]).includes(v) ? v : { problem: `must be one of ${ROUTE_METHODS.join(', ')} (upper-case)` };
}

function tokenItem(v: string): string | { problem: string } {
  return TOKEN.test(v) && v.length <= L.headerNameMaxLength ? v.toLowerCase() : { problem: `must be a header name (1-${L.headerNameMaxLength} token characters)` };
}

function checkAuth(value: unknown, path: string, problems: ProblemList): AuthPolicy | null | undefined {
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'absent' || obj === 'null') return null;
  const before = problems.count;
  const apiKey = checkApiKey(field(obj, 'apiKey'), join(path, 'apiKey'), problems);
  const jwt = checkJwt(field(obj, 'jwt'), join(path, 'jwt'), problems);
  const allowConsumersRaw = field(obj, 'allowConsumers');
  let allowConsumers: string[] | null | undefined = null;
  if (allowConsumersRaw !== undefined && allowConsumersRaw !== null) {
    allowConsumers = stringList(allowConsumersRaw, join(path, 'allowConsumers'), [], L.allowConsumersMax, consumerItem, problems);
    if (allowConsumers !== undefined && allowConsumers.length === 0) {
      problems.add(join(path, 'allowConsumers'), 'must have at least 1 item (null allows every authenticated consumer)');
      allowConsumers = undefined;
    }
  }
  rejectUnknownFields(obj, AUTH_FIELDS, path, problems);
  if (problems.count !== before || apiKey === undefined || jwt === undefined || allowConsumers === undefined) return undefined;
  if (apiKey === null && jwt === null) {
    problems.add(path, 'needs "apiKey" or "jwt" (or both); use null for an anonymous API');
    return undefined;
  }
  return { apiKey, jwt, allowConsumers };
}

function consumerItem(v: string): string | { problem: string } {
  return CONSUMER.test(v) ? v : { problem: 'must be 1-128 characters of letters, digits and ._@:-' };
}

function checkApiKey(value: unknown, path: string, problems: ProblemList): ApiKeyAuth | null | undefined {
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'absent' || obj === 'null') return null;
  const before = problems.count;
  const location = checkKeyLocation(field(obj, 'in'), join(path, 'in'), problems);
  const forward = checkOptionalBoolean(field(obj, 'forward'), join(path, 'forward'), problems);
  const keys = checkKeyEntries(field(obj, 'keys'), join(path, 'keys'), problems);
  rejectUnknownFields(obj, API_KEY_FIELDS, path, problems);
  if (problems.count !== before || location === undefined || forward === null || keys === undefined) return undefined;
  return { in: location, forward: forward ?? false, keys };
}

function checkKeyLocation(value: unknown, path: string, problems: ProblemList): ApiKeyLocation | undefined {
  if (value === undefined) return { header: D.apiKeyHeader };
  const message = 'must be {"header": name} or {"query": name}';
  if (!isObject(value)) {
    problems.add(path, `${message}, not ${describeType(value)}`);
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'header' && keys[0] !== 'query')) {
    problems.add(path, message);
    return undefined;
  }
  if (keys[0] === 'header') {
    const header = headerName(field(value, 'header'), join(path, 'header'), undefined, problems);
    return header === undefined ? undefined : { header };
  }
  const q = field(value, 'query');
  if (typeof q !== 'string' || !QUERY_PARAM.test(q)) {
    problems.add(join(path, 'query'), 'must be a query parameter name: 1-64 of letters, digits and ._~-');
    return undefined;
  }
  return { query: q };
}

function checkKeyEntries(value: unknown, path: string, problems: ProblemList): ApiKeyEntry[] | undefined {
  if (value === undefined) {
    problems.add(path, 'is required: [{ "sha256": <hex SHA-256 of the key>, "consumer": name }] ([] revokes every key)');
    return undefined;
  }
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > L.apiKeysMax) {
    problems.add(path, `must have at most ${L.apiKeysMax} items`);
    return undefined;
  }
  const out: ApiKeyEntry[] = [];
  const seenHash = new Map<string, number>();
  const seenId = new Map<string, number>();
  const before = problems.count;
  value.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(item)) return problems.add(at, `must be an object, not ${describeType(item)}`);
    const itemBefore = problems.count;
    if (Object.hasOwn(item, 'key')) {
      // Never echo it: the plaintext must not come back in an error either.
      problems.add(join(at, 'key'), 'plaintext keys are not accepted: store the key\'s SHA-256 as "sha256" (printf %s "$KEY" | sha256sum)');
    }
    const sha = field(item, 'sha256');
    if (sha === undefined) {
      if (!Object.hasOwn(item, 'key')) problems.add(join(at, 'sha256'), 'is required (the hex SHA-256 of the key)');
    } else if (typeof sha !== 'string' || !HEX64.test(sha)) problems.add(join(at, 'sha256'), 'must be 64 hex digits: the SHA-256 of the key');
    const consumer = field(item, 'consumer');
    if (consumer === undefined) problems.add(join(at, 'consumer'), 'is required');
    else if (typeof consumer !== 'string' || !CONSUMER.test(consumer)) problems.add(join(at, 'consumer'), 'must be 1-128 characters of letters, digits and ._@:-');
    const id = field(item, 'id');
    if (id !== undefined && id !== null && (typeof id !== 'string' || !KEY_ID.test(id))) problems.add(join(at, 'id'), 'must be null or 1-128 characters of letters, digits and ._:@-');
    rejectUnknownFields(item, [...KEY_ENTRY_FIELDS, 'key'], at, problems);
    if (problems.count !== itemBefore) return;
    const hash = (sha as string).toLowerCase();
    const dupHash = seenHash.get(hash);
    if (dupHash !== undefined) return problems.add(join(at, 'sha256'), `repeats ${path}[${dupHash}].sha256 (the same key twice)`);
    seenHash.set(hash, i);
    if (typeof id === 'string') {
      const dupId = seenId.get(id);
      if (dupId !== undefined) return problems.add(join(at, 'id'), `repeats ${path}[${dupId}].id ("${id}")`);
      seenId.set(id, i);
    }
    out.push({ id: typeof id === 'string' ? id : null, sha256: hash, consumer: consumer as string });
  });
  return problems.count === before ? out : undefined;
}

function checkJwt(value: unknown, path: string, problems: ProblemList): JwtAuth | null | undefined {
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'absent' || obj === 'null') return null;
  const before = problems.count;
  const keys = checkJwks(field(obj, 'keys'), join(path, 'keys'), problems);
  const jwksUrl = checkJwksUrl(field(obj, 'jwksUrl'), join(path, 'jwksUrl'), problems);
  const claimItem = (v: string) => (v.length <= L.jwtClaimValueMaxLength && VISIBLE.test(v) ? v : { problem: `must be 1-${L.jwtClaimValueMaxLength} printable ASCII characters` });
  const issuers = stringList(field(obj, 'issuers'), join(path, 'issuers'), [], L.jwtClaimValuesMax, claimItem, problems);
  const audiences = stringList(field(obj, 'audiences'), join(path, 'audiences'), [], L.jwtClaimValuesMax, claimItem, problems);
  const algorithms = stringList(
    field(obj, 'algorithms'),
    join(path, 'algorithms'),
    [...JWT_ALGORITHMS],
    JWT_ALGORITHMS.length,
    (v) => ((JWT_ALGORITHMS as readonly string[]).includes(v) ? v : { problem: `must be one of ${JWT_ALGORITHMS.join(', ')} ("none" is never accepted)` }),
    problems,
  ) as JwtAlgorithm[] | undefined;
  const clockSkewSec = checkOptionalInteger(field(obj, 'clockSkewSec'), join(path, 'clockSkewSec'), 0, L.jwtClockSkewSecMax, problems);
  const requireExp = checkOptionalBoolean(field(obj, 'requireExp'), join(path, 'requireExp'), problems);
  const claim = field(obj, 'consumerClaim');
  if (claim !== undefined && (typeof claim !== 'string' || !CLAIM.test(claim))) problems.add(join(path, 'consumerClaim'), 'must be a claim name: 1-128 visible ASCII characters');
  const forward = checkOptionalBoolean(field(obj, 'forward'), join(path, 'forward'), problems);
  rejectUnknownFields(obj, JWT_FIELDS, path, problems);
  if (problems.count !== before || !keys || jwksUrl === undefined || !issuers || !audiences || !algorithms || clockSkewSec === null || requireExp === null || forward === null) {
    return undefined;
  }
  if (algorithms.length === 0) {
    problems.add(join(path, 'algorithms'), 'must have at least 1 item');
    return undefined;
  }
  if (keys.length === 0 && jwksUrl === null) {
    problems.add(path, 'needs inline "keys" or a "jwksUrl" (or both)');
    return undefined;
  }
  const unusable = keys.findIndex((k) => !algorithms.includes(jwkAlgorithm(k.kty)));
  if (unusable !== -1) {
    problems.add(`${path}.keys[${unusable}]`, `is a ${keys[unusable]!.kty} key, which verifies ${jwkAlgorithm(keys[unusable]!.kty)}, but algorithms does not allow it`);
    return undefined;
  }
  return {
    keys,
    jwksUrl,
    issuers,
    audiences,
    algorithms: [...algorithms].sort(),
    clockSkewSec: clockSkewSec ?? D.jwtClockSkewSec,
    requireExp: requireExp ?? true,
    consumerClaim: (claim as string | undefined) ?? D.jwtConsumerClaim,
    forward: forward ?? true,
  };
}

function checkJwks(value: unknown, path: string, problems: ProblemList): Jwk[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array of JSON Web Keys, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > L.jwtKeysMax) {
    problems.add(path, `must have at most ${L.jwtKeysMax} items`);
    return undefined;
  }
  const keys: Jwk[] = [];
  const kids = new Map<string, number>();
  const before = problems.count;
  value.forEach((item: unknown, i) => {
    const key = checkJwk(item, `${path}[${i}]`, problems);
    if (key === undefined) return;
    if (key.kid !== undefined) {
      const dup = kids.get(key.kid);
      if (dup !== undefined) return problems.add(`${path}[${i}].kid`, `repeats ${path}[${dup}].kid ("${key.kid}")`);
      kids.set(key.kid, i);
    }
    keys.push(key);
  });
  return problems.count === before ? keys : undefined;
}

function checkJwksUrl(value: unknown, path: string, problems: ProblemList): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    problems.add(path, `must be a string or null, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > L.jwksUrlMaxLength || !/^https?:\/\/[^/@?#\s]+(?:[/?][^#\s]*)?$/i.test(value)) {
    problems.add(path, `must be an http:// or https:// URL without credentials or fragment, at most ${L.jwksUrlMaxLength} characters`);
    return undefined;
  }
  try {
    new URL(value);
  } catch {
    problems.add(path, 'must be a valid URL');
    return undefined;
  }
  return value;
}

/** Checks a list of rate limits (`policies.rateLimits` or a route's `rateLimits`). */
export function checkRateLimits(value: unknown, path: string, problems: ProblemList): RateLimitDefinition[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > L.rateLimitsMax) {
    problems.add(path, `must have at most ${L.rateLimitsMax} items`);
    return undefined;
  }
  const out: RateLimitDefinition[] = [];
  const names = new Map<string, number>();
  const before = problems.count;
  value.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    const limit = checkRateLimit(item, at, problems);
    if (limit === undefined) return;
    const dup = names.get(limit.name);
    if (dup !== undefined) return problems.add(join(at, 'name'), `duplicates ${path}[${dup}].name ("${limit.name}")`);
    names.set(limit.name, i);
    out.push(limit);
  });
  return problems.count === before ? out : undefined;
}

function checkRateLimit(value: unknown, path: string, problems: ProblemList): RateLimitDefinition | undefined {
  if (!isObject(value)) {
    problems.add(path, `must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const before = problems.count;
  const name = field(value, 'name');
  if (name === undefined) problems.add(join(path, 'name'), 'is required');
  else if (typeof name !== 'string' || !RATE_LIMIT_NAME.test(name)) problems.add(join(path, 'name'), 'must be 1-64 characters of letters, digits and ._:-');
  const limit = requiredInteger(value, 'limit', path, 1, L.rateLimitMax, problems);
  const windowMs = requiredInteger(value, 'windowMs', path, 1, L.rateLimitWindowMaxMs, problems);
  const burst = checkOptionalInteger(field(value, 'burst'), join(path, 'burst'), 1, L.rateLimitMax, problems);
  const key = checkRateLimitKey(field(value, 'key'), join(path, 'key'), problems);
  const scope = oneOf(field(value, 'scope'), join(path, 'scope'), ['global', 'local'] as const, D.rateLimitScope, problems);
  const failureMode = oneOf(field(value, 'failureMode'), join(path, 'failureMode'), ['open', 'closed'] as const, D.rateLimitFailureMode, problems);
  rejectUnknownFields(value, RATE_LIMIT_FIELDS, path, problems);
  if (problems.count !== before || limit === undefined || windowMs === undefined || burst === null || !key || !scope || !failureMode) return undefined;
  return { name: name as string, limit, windowMs, burst: burst ?? limit, key, scope, failureMode };
}

function checkRateLimitKey(value: unknown, path: string, problems: ProblemList): RateLimitKey | undefined {
  if (value === undefined) return { by: 'ip' };
  if (!isObject(value)) {
    problems.add(path, `must be {"by": "ip"}, {"by": "consumer"} or {"by": "header", "name": header}, not ${describeType(value)}`);
    return undefined;
  }
  const by = field(value, 'by');
  if (by !== 'ip' && by !== 'consumer' && by !== 'header') {
    problems.add(join(path, 'by'), 'must be "ip", "consumer" or "header"');
    return undefined;
  }
  const before = problems.count;
  rejectUnknownFields(value, by === 'header' ? ['by', 'name'] : ['by'], path, problems);
  if (by !== 'header') return problems.count === before ? { by } : undefined;
  const name = headerName(field(value, 'name'), join(path, 'name'), undefined, problems);
  return name === undefined || problems.count !== before ? undefined : { by, name };
}

function checkIdempotency(value: unknown, path: string, timeouts: Timeouts | undefined, problems: ProblemList): IdempotencyPolicy | null | undefined {
  const obj = checkOptionalObject(value, path, true, problems);
  if (obj === undefined) return undefined;
  if (obj === 'absent' || obj === 'null') return null;
  const before = problems.count;
  const methods = stringList(
    field(obj, 'methods'),
    join(path, 'methods'),
    [...D.idempotencyMethods],
    UNSAFE_METHODS.length,
    (v) => ((UNSAFE_METHODS as readonly string[]).includes(v) ? v : { problem: `must be one of ${UNSAFE_METHODS.join(', ')} (safe methods are idempotent already)` }),
    problems,
  );
  const required = checkOptionalBoolean(field(obj, 'required'), join(path, 'required'), problems);
  const header = headerName(field(obj, 'headerName'), join(path, 'headerName'), D.idempotencyHeader, problems);
  const ttlMs = checkOptionalInteger(field(obj, 'ttlMs'), join(path, 'ttlMs'), L.idempotencyTtlMinMs, L.idempotencyTtlMaxMs, problems);
  const lockTtlMs = checkOptionalInteger(field(obj, 'lockTtlMs'), join(path, 'lockTtlMs'), L.idempotencyLockTtlMinMs, L.idempotencyTtlMaxMs, problems);
  const maxResponseBytes = checkOptionalInteger(field(obj, 'maxResponseBytes'), join(path, 'maxResponseBytes'), 0, L.idempotencyMaxResponseBytesMax, problems);
  rejectUnknownFields(obj, IDEMPOTENCY_FIELDS, path, problems);
  if (problems.count !== before || !methods || required === null || header === undefined || ttlMs === null || lockTtlMs === null || maxResponseBytes === null) return undefined;
  if (methods.length === 0) {
    problems.add(join(path, 'methods'), 'must have at least 1 item');
    return undefined;
  }
  const totalMs = timeouts?.totalMs ?? 0;
  const ttl = ttlMs ?? D.idempotencyTtlMs;
  const lock = lockTtlMs ?? Math.max(D.idempotencyLockTtlMs, totalMs + 1_000);
  if (lock > ttl) {
    problems.add(join(path, lockTtlMs === undefined ? 'ttlMs' : 'lockTtlMs'), lockTtlMs === undefined ? `must be at least lockTtlMs (${lock})` : `must be at most ttlMs (${ttl})`);
    return undefined;
  }
  if (lock <= totalMs) {
    problems.add(join(path, 'lockTtlMs'), `must be above upstream.timeouts.totalMs (${totalMs}): a claim must outlive every try of its request`);
    return undefined;
  }
  return { methods, required: required ?? false, headerName: header, ttlMs: ttl, lockTtlMs: lock, maxResponseBytes: maxResponseBytes ?? D.idempotencyMaxResponseBytes };
}

/** A lower-cased header name a policy may use, or `undefined` (problem added). */
function headerName(value: unknown, path: string, fallback: string | undefined, problems: ProblemList): string | undefined {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > L.headerNameMaxLength || !TOKEN.test(value)) {
    problems.add(path, value === undefined ? 'is required' : `must be a header name: 1-${L.headerNameMaxLength} token characters`);
    return undefined;
  }
  const lower = value.toLowerCase();
  if (RESERVED_HEADERS.has(lower)) {
    problems.add(path, `must not be "${lower}": the gateway or HTTP itself gives that header its meaning`);
    return undefined;
  }
  return lower;
}

function requiredInteger(obj: JsonObject, key: string, path: string, min: number, max: number, problems: ProblemList): number | undefined {
  const v = field(obj, key);
  if (v === undefined) {
    problems.add(join(path, key), 'is required');
    return undefined;
  }
  return checkOptionalInteger(v, join(path, key), min, max, problems) ?? undefined;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback: T, problems: ProblemList): T | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    problems.add(path, `must be ${allowed.map((a) => `"${a}"`).join(' or ')}`);
    return undefined;
  }
  return value as T;
}

/**
 * A list of strings, each mapped by `item` (normalized value or a problem), without
 * duplicates (after normalization). Absent: `fallback`.
 */
function stringList(
  value: unknown,
  path: string,
  fallback: string[],
  max: number,
  item: (v: string) => string | { problem: string },
  problems: ProblemList,
): string[] | undefined {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length > max) {
    problems.add(path, `must have at most ${max} items`);
    return undefined;
  }
  const out: string[] = [];
  const seen = new Map<string, number>();
  const before = problems.count;
  value.forEach((v: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof v !== 'string') return problems.add(at, `must be a string, not ${describeType(v)}`);
    const r = item(v);
    if (typeof r !== 'string') return problems.add(at, r.problem);
    const dup = seen.get(r);
    if (dup !== undefined) return problems.add(at, `duplicates ${path}[${dup}]`);
    seen.set(r, i);
    out.push(r);
  });
  return problems.count === before ? out : undefined;
}
