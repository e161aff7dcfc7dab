/** What a secret reads as in a log line (the same marker the deploy API and the auth policy use). */
export const REDACTED = '[REDACTED]';

/** Secret keys, at the top of a log record and one object down (`{ user: { password } }`). */
const SECRET_KEYS = ['authorization', 'cookie', 'password', 'token', 'adminToken', 'secret', 'apiKey', 'sentinelPassword'];
/** Credential headers, in a `headers` object at the top or one level down (`req.headers`). */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
/** JWK members that are secret: the HMAC key and the private parts of RSA/EC keys. */
const SECRET_JWK_MEMBERS = ['k', 'd', 'p', 'q', 'dp', 'dq', 'qi'];
/** Connection strings: they may carry a password; only their credentials and query are censored. */
const URL_KEYS = ['redisUrl', 'databaseUrl', 'connectionString'];

const member = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`);

/**
 * pino `redact` paths for secrets. pino redacts by path, not by searching every value, so
 * the list names the shapes this code base logs: a key at the top or one level down, a
 * `headers` object at the top or one level down, and the `keys` array of a JWK set up to
 * two levels down (`{ jwt: { keys } }`, `{ auth: { jwt: { keys } } }`). Libraries must
 * still not log secrets (see `@gw/auth`'s redact helpers); this is the safety net.
 */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*${member(k)}`]),
  ...SECRET_HEADERS.flatMap((h) => [`headers${member(h)}`, `*.headers${member(h)}`]),
  ...SECRET_JWK_MEMBERS.flatMap((m) => [`keys[*]${member(m)}`, `*.keys[*]${member(m)}`, `*.*.keys[*]${member(m)}`]),
  ...URL_KEYS.flatMap((k) => [k, `*${member(k)}`]),
];

/**
 * The censor pino calls for each redacted value: `[REDACTED]`, except that a connection
 * string keeps its scheme, host and path (`redis://[REDACTED]@cache:6379/0`) so an
 * operator can still tell which server it is.
 */
export function censorSecret(value: unknown, path: readonly unknown[]): unknown {
  const key = path.at(-1);
  if (typeof key === 'string' && URL_KEYS.includes(key) && typeof value === 'string') return censorUrl(value);
  return REDACTED;
}

/**
 * `scheme://user:pass@host/path?query` → `scheme://[REDACTED]@host/path?[REDACTED]`.
 * Everything up to the last `@` counts as credentials (a password may hold `/` or `@`);
 * a value without a scheme is not a URL this can vouch for → `[REDACTED]`.
 */
export function censorUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return REDACTED;
  let rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at !== -1) rest = rest.slice(at + 1);
  const query = rest.search(/[?#]/);
  if (query !== -1) rest = rest.slice(0, query);
  return `${scheme}${at !== -1 ? `${REDACTED}@` : ''}${rest}${query !== -1 ? `?${REDACTED}` : ''}`;
}
