import {
  SNAPSHOT_API_KEY_LOCATIONS,
  SNAPSHOT_JWK_MEMBERS,
  SNAPSHOT_JWT_ALGORITHMS,
  SNAPSHOT_RATE_LIMIT_KEYS,
  type SnapshotPolicies,
} from './snapshot-policies.js';

interface Problem {
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9a-z]{1,64}$/;
const CONSUMER_RE = /^[A-Za-z0-9._@:-]{1,128}$/;
const KEY_ID_RE = /^[A-Za-z0-9._:@-]{1,128}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const RATE_LIMIT_NAME_RE = /^[A-Za-z0-9._:-]{1,64}$/;
const QUERY_RE = /^[A-Za-z0-9._~-]{1,64}$/;
const ORIGIN_RE = /^(\*|null|https?:\/\/(\*\.)?[a-z0-9.-]+(:[1-9]\d{0,4})?)$/;
const METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
const UNSAFE_METHODS = new Set(['DELETE', 'PATCH', 'POST', 'PUT']);
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;
const VISIBLE_RE = /^[\x20-\x7e]{1,512}$/;
const DAY = 86_400_000;

/**
 * Problem collector for one policies block. Messages describe what is wrong, never the
 * value: the block holds secrets (HMAC keys, key hashes), and problems end up in NACKs,
 * logs and the fleet status.
 */
class Checks {
  constructor(
    readonly problems: Problem[],
    readonly at: string,
  ) {}
  fail(path: string, message: string): void {
    this.problems.push({ path: `${this.at}.${path}`, message });
  }
  object(obj: Obj, field: string, path: string): Obj | undefined {
    const v = obj[field];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.fail(path, 'must be an object');
      return undefined;
    }
    return v as Obj;
  }
  int(obj: Obj, field: string, path: string, min: number, max: number): void {
    const v = obj[field];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) this.fail(path, `must be an integer in ${min}..${max}`);
  }
  bool(obj: Obj, field: string, path: string): boolean {
    if (typeof obj[field] !== 'boolean') {
      this.fail(path, 'must be a boolean');
      return false;
    }
    return obj[field] as boolean;
  }
  str(obj: Obj, field: string, path: string, test: (s: string) => boolean, what: string): void {
    const v = obj[field];
    if (typeof v !== 'string' || !test(v)) this.fail(path, `must be ${what}`);
  }
  /** A list of strings that each pass `test`; sorted and unique when `sorted`. */
  list(obj: Obj, field: string, path: string, test: (s: string) => boolean, what: string, sorted: boolean, max = 10_000): string[] | undefined {
    const v = obj[field];
    if (!Array.isArray(v) || v.length > max) {
      this.fail(path, `must be a list of at most ${max}`);
      return undefined;
    }
    v.forEach((s: unknown, i) => {
      if (typeof s !== 'string' || !test(s)) this.fail(`${path}[${i}]`, `must be ${what}`);
      else if (sorted && i > 0 && !((v[i - 1] as string) < s)) this.fail(`${path}[${i}]`, 'must be sorted and unique');
    });
    return v as string[];
  }
  empty(obj: Obj, fields: readonly string[], prefix: string): void {
    for (const f of fields) {
      const v = obj[f];
      const isEmpty = v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
      if (!isEmpty) this.fail(`${prefix}${f}`, 'must be empty while disabled');
    }
  }
}

/** Checks `policies` of the API at `at` (e.g. `apis[2]`); adds problems to `problems`. */
export function checkSnapshotPolicies(policies: SnapshotPolicies, at: string, problems: Problem[]): void {
  if (policies === null || typeof policies !== 'object' || Array.isArray(policies)) {
    problems.push({ path: `${at}.policies`, message: 'must be an object' });
    return;
  }
  const c = new Checks(problems, `${at}.policies`);
  const p = policies as unknown as Obj;
  c.str(p, 'consumerHeader', 'consumerHeader', (s) => TOKEN_RE.test(s), 'a lower-case header name');
  checkCors(c, p);
  checkAuth(c, p);
  checkRateLimitList((p as { rateLimits?: unknown }).rateLimits, `${at}.policies.rateLimits`, problems);
  checkIdempotency(c, p);
}

function checkCors(c: Checks, p: Obj): void {
  const cors = c.object(p, 'cors', 'cors');
  if (!cors) return;
  const lists = ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders'] as const;
  if (!c.bool(cors, 'enabled', 'cors.enabled')) {
    if (typeof cors['enabled'] === 'boolean') c.empty(cors, [...lists, 'allowCredentials', 'maxAgeSec'], 'cors.');
    return;
  }
  const origins = c.list(cors, 'allowOrigins', 'cors.allowOrigins', (s) => ORIGIN_RE.test(s), 'an origin, "null" or "*"', true, 100);
  if (origins && (origins.length === 0 || (origins.includes('*') && origins.length > 1))) c.fail('cors.allowOrigins', 'must hold origins, or "*" alone');
  c.list(cors, 'allowMethods', 'cors.allowMethods', (s) => METHODS.has(s), 'an upper-case method', true);
  c.list(cors, 'allowHeaders', 'cors.allowHeaders', (s) => TOKEN_RE.test(s), 'a lower-case header name', true, 100);
  c.list(cors, 'exposeHeaders', 'cors.exposeHeaders', (s) => TOKEN_RE.test(s), 'a lower-case header name', true, 100);
  if (c.bool(cors, 'allowCredentials', 'cors.allowCredentials') && origins?.includes('*')) c.fail('cors.allowCredentials', 'must be false with "*"');
  c.int(cors, 'maxAgeSec', 'cors.maxAgeSec', 0, 86_400);
}

function checkAuth(c: Checks, p: Obj): void {
  const auth = c.object(p, 'auth', 'auth');
  if (!auth) return;
  const enabled = c.bool(auth, 'enabled', 'auth.enabled');
  const apiKey = c.object(auth, 'apiKey', 'auth.apiKey');
  const jwt = c.object(auth, 'jwt', 'auth.jwt');
  c.list(auth, 'allowConsumers', 'auth.allowConsumers', (s) => CONSUMER_RE.test(s), 'a consumer name', true, 1000);
  const apiKeyOn = apiKey ? checkApiKey(c, apiKey) : false;
  const jwtOn = jwt ? checkJwt(c, jwt) : false;
  if (enabled && apiKey && jwt && !apiKeyOn && !jwtOn) c.fail('auth', 'must enable apiKey or jwt');
  if (!enabled && typeof auth['enabled'] === 'boolean') {
    if (apiKeyOn) c.fail('auth.apiKey.enabled', 'must be false while auth is disabled');
    if (jwtOn) c.fail('auth.jwt.enabled', 'must be false while auth is disabled');
    c.empty(auth, ['allowConsumers'], 'auth.');
  }
}

function checkApiKey(c: Checks, k: Obj): boolean {
  const fields = ['location', 'name', 'forward', 'keys'];
  if (!c.bool(k, 'enabled', 'auth.apiKey.enabled')) {
    if (typeof k['enabled'] === 'boolean') c.empty(k, fields, 'auth.apiKey.');
    return false;
  }
  const location = k['location'];
  if (!(SNAPSHOT_API_KEY_LOCATIONS as readonly unknown[]).includes(location)) c.fail('auth.apiKey.location', 'must be "header" or "query"');
  c.str(k, 'name', 'auth.apiKey.name', (s) => (location === 'query' ? QUERY_RE.test(s) : TOKEN_RE.test(s)), location === 'query' ? 'a query parameter name' : 'a lower-case header name');
  c.bool(k, 'forward', 'auth.apiKey.forward');
  const keys = k['keys'];
  if (!Array.isArray(keys) || keys.length > 5_000) {
    c.fail('auth.apiKey.keys', 'must be a list of at most 5000 keys');
    return true;
  }
  keys.forEach((e: unknown, i) => {
    const at = `auth.apiKey.keys[${i}]`;
    if (e === null || typeof e !== 'object') return c.fail(at, 'must be an object');
    const entry = e as Obj;
    c.str(entry, 'id', `${at}.id`, (s) => s === '' || KEY_ID_RE.test(s), 'a key label or ""');
    c.str(entry, 'sha256', `${at}.sha256`, (s) => HEX64_RE.test(s), '64 lower-case hex digits');
    c.str(entry, 'consumer', `${at}.consumer`, (s) => CONSUMER_RE.test(s), 'a consumer name');
    const previous: unknown = i > 0 ? (keys[i - 1] as Obj | null)?.['sha256'] : undefined;
    if (typeof previous === 'string' && typeof entry['sha256'] === 'string' && !(previous < entry['sha256'])) c.fail(`${at}.sha256`, 'keys must be sorted by sha256 and unique');
  });
  return true;
}

function checkJwt(c: Checks, j: Obj): boolean {
  const fields = ['keys', 'jwksUrl', 'issuers', 'audiences', 'algorithms', 'clockSkewSec', 'requireExp', 'consumerClaim', 'forward'];
  if (!c.bool(j, 'enabled', 'auth.jwt.enabled')) {
    if (typeof j['enabled'] === 'boolean') c.empty(j, fields, 'auth.jwt.');
    return false;
  }
  const keys = j['keys'];
  if (!Array.isArray(keys) || keys.length > 16) c.fail('auth.jwt.keys', 'must be a list of at most 16 keys');
  else keys.forEach((key: unknown, i) => checkJwk(c, key, `auth.jwt.keys[${i}]`));
  c.str(j, 'jwksUrl', 'auth.jwt.jwksUrl', (s) => s === '' || /^https?:\/\/[^/@?#\s]+(?:[/?][^#\s]*)?$/i.test(s), 'an http(s) URL without credentials, or ""');
  if (Array.isArray(keys) && keys.length === 0 && j['jwksUrl'] === '') c.fail('auth.jwt', 'needs keys or a jwksUrl');
  c.list(j, 'issuers', 'auth.jwt.issuers', (s) => VISIBLE_RE.test(s), 'printable ASCII', true, 16);
  c.list(j, 'audiences', 'auth.jwt.audiences', (s) => VISIBLE_RE.test(s), 'printable ASCII', true, 16);
  const algs = c.list(j, 'algorithms', 'auth.jwt.algorithms', (s) => (SNAPSHOT_JWT_ALGORITHMS as readonly string[]).includes(s), 'ES256, HS256 or RS256', true, 3);
  if (algs && algs.length === 0) c.fail('auth.jwt.algorithms', 'must not be empty');
  c.int(j, 'clockSkewSec', 'auth.jwt.clockSkewSec', 0, 300);
  c.bool(j, 'requireExp', 'auth.jwt.requireExp');
  c.str(j, 'consumerClaim', 'auth.jwt.consumerClaim', (s) => /^[\x21-\x7e]{1,128}$/.test(s), 'a claim name');
  c.bool(j, 'forward', 'auth.jwt.forward');
  return true;
}

/** Structure only; the runtime imports each key when it builds the authenticator (and NACKs if it cannot). */
function checkJwk(c: Checks, key: unknown, at: string): void {
  if (key === null || typeof key !== 'object' || Array.isArray(key)) return c.fail(at, 'must be an object');
  const jwk = key as Obj;
  for (const m of SNAPSHOT_JWK_MEMBERS) if (typeof jwk[m] !== 'string' || (jwk[m] as string).length > 4096) c.fail(`${at}.${m}`, 'must be a string ("" when absent)');
  const kty = jwk['kty'];
  if (kty !== 'oct' && kty !== 'RSA' && kty !== 'EC') return c.fail(`${at}.kty`, 'must be RSA, EC or oct');
  const used = kty === 'oct' ? ['k'] : kty === 'RSA' ? ['n', 'e'] : ['crv', 'x', 'y'];
  for (const m of ['crv', 'x', 'y', 'n', 'e', 'k']) {
    const v = jwk[m];
    if (typeof v !== 'string') continue;
    if (used.includes(m) ? v === '' || (m !== 'crv' && !BASE64URL_RE.test(v)) : v !== '') c.fail(`${at}.${m}`, used.includes(m) ? `is required for a ${kty} key (base64url)` : `must be "" for a ${kty} key`);
  }
}

/** Checks a list of rate limits (`policies.rateLimits` or a route's `rateLimits`) at `at`. */
export function checkRateLimitList(list: unknown, at: string, problems: Problem[]): void {
  if (!Array.isArray(list) || list.length > 16) {
    problems.push({ path: at, message: 'must be a list of at most 16 rate limits' });
    return;
  }
  const names = new Set<string>();
  list.forEach((item: unknown, i) => {
    const itemAt = `${at}[${i}]`;
    if (item === null || typeof item !== 'object') return problems.push({ path: itemAt, message: 'must be an object' });
    const c = new Checks(problems, itemAt);
    const r = item as Obj;
    c.str(r, 'name', 'name', (s) => RATE_LIMIT_NAME_RE.test(s), 'a rate limit name');
    if (typeof r['name'] === 'string') {
      if (names.has(r['name'])) c.fail('name', 'duplicates another rate limit name');
      names.add(r['name']);
    }
    c.int(r, 'limit', 'limit', 1, 1_000_000_000);
    c.int(r, 'windowMs', 'windowMs', 1, DAY);
    c.int(r, 'burst', 'burst', 1, 1_000_000_000);
    c.str(r, 'scope', 'scope', (s) => s === 'global' || s === 'local', 'global or local');
    c.str(r, 'failureMode', 'failureMode', (s) => s === 'open' || s === 'closed', 'open or closed');
    const key = c.object(r, 'key', 'key');
    if (!key) return;
    const by = key['by'];
    if (!(SNAPSHOT_RATE_LIMIT_KEYS as readonly unknown[]).includes(by)) c.fail('key.by', 'must be ip, header or consumer');
    const name = key['name'];
    if (typeof name !== 'string' || (by === 'header' ? !TOKEN_RE.test(name) : name !== '')) {
      c.fail('key.name', by === 'header' ? 'must be a lower-case header name' : 'must be "" unless by is header');
    }
  });
}

function checkIdempotency(c: Checks, p: Obj): void {
  const idem = c.object(p, 'idempotency', 'idempotency');
  if (!idem) return;
  const fields = ['methods', 'required', 'headerName', 'ttlMs', 'lockTtlMs', 'maxResponseBytes'];
  if (!c.bool(idem, 'enabled', 'idempotency.enabled')) {
    if (typeof idem['enabled'] === 'boolean') c.empty(idem, fields, 'idempotency.');
    return;
  }
  const methods = c.list(idem, 'methods', 'idempotency.methods', (s) => UNSAFE_METHODS.has(s), 'POST, PUT, PATCH or DELETE', true, 4);
  if (methods && methods.length === 0) c.fail('idempotency.methods', 'must not be empty');
  c.bool(idem, 'required', 'idempotency.required');
  c.str(idem, 'headerName', 'idempotency.headerName', (s) => TOKEN_RE.test(s), 'a lower-case header name');
  c.int(idem, 'ttlMs', 'idempotency.ttlMs', 1000, 30 * DAY);
  c.int(idem, 'lockTtlMs', 'idempotency.lockTtlMs', 100, 30 * DAY);
  c.int(idem, 'maxResponseBytes', 'idempotency.maxResponseBytes', 0, 16 * 1_048_576);
  if ((idem['lockTtlMs'] as number) > (idem['ttlMs'] as number)) c.fail('idempotency.lockTtlMs', 'must be at most ttlMs');
}
