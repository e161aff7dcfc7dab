import type { ApiKeyLocation, AuthPolicy } from '@gw/api-schema';
import { ErrorCodes, GatewayError, type ErrorCode } from '@gw/errors';
import { lazyChild, silentLogger, type Logger } from '@gw/logging';
import { ApiKeySet } from './api-keys.js';
import { apiKeyChallenge, bearerChallenge } from './challenges.js';
import { queryParamValues, removeQueryParam } from './consumer-identity.js';
import type { JwksCacheRegistry } from './jwks-cache.js';
import { JwtVerifier } from './jwt-verifier.js';

export interface AuthRequest {
  /** The request target (path and query). */
  url: string;
  /** Node's lower-cased request headers. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type AuthResult =
  | {
      ok: true;
      consumer: string;
      via: 'api-key' | 'jwt';
      /** The JWT's claims (JWT only). */
      claims?: Record<string, unknown>;
      /** Credential headers to remove before forwarding. */
      removeHeaders: string[];
      /** The target to forward (the API key removed when it came in the query). */
      url: string;
    }
  | { ok: false; status: 401 | 403 | 503; code: ErrorCode; message: string; headers: Record<string, string | string[]> };

export interface AuthenticatorDeps {
  logger?: Logger;
  jwks?: JwksCacheRegistry;
  nowSec?: () => number;
  /** The `realm` of the `WWW-Authenticate` challenges. Default: the API name. */
  realm?: string;
}

/**
 * The authentication of one API, built from one snapshot: the `policies.auth` block of
 * the API definition as the schema normalizes it (`null` for a method that is off).
 * Accepts an API key (when the policy has keys and the request carries one) or else a
 * Bearer JWT, then applies the consumer allow-list. Never logs a credential.
 */
export class Authenticator {
  /** `undefined`: API keys are off. */
  private readonly apiKey: { readonly keys: ApiKeySet; readonly in: ApiKeyLocation; readonly forward: boolean } | undefined;
  private readonly jwt: JwtVerifier | undefined;
  private readonly forwardJwt: boolean;
  private readonly allow: ReadonlySet<string> | undefined;
  private readonly realm: string;
  private readonly logger: Logger;

  constructor(
    readonly api: string,
    policy: AuthPolicy,
    deps: AuthenticatorDeps = {},
  ) {
    // The schema refuses this; the type cannot say it.
    if (policy.apiKey === null && policy.jwt === null) throw new GatewayError(ErrorCodes.GW_VALIDATION, 'auth: needs apiKey or jwt');
    const { apiKey, jwt } = policy;
    this.apiKey = apiKey === null ? undefined : { keys: new ApiKeySet(apiKey.keys), in: apiKey.in, forward: apiKey.forward };
    this.logger = lazyChild(deps.logger ?? silentLogger, { component: 'auth', api }); // made on first log: thousands are built per config
    this.jwt = jwt === null ? undefined : new JwtVerifier(jwt, { logger: this.logger, ...(deps.jwks ? { jwks: deps.jwks } : {}), ...(deps.nowSec ? { nowSec: deps.nowSec } : {}) });
    this.forwardJwt = jwt !== null && jwt.forward;
    this.allow = policy.allowConsumers === null ? undefined : new Set(policy.allowConsumers);
    this.realm = deps.realm ?? api;
  }

  /** Starts fetching JWKS keys ahead of the first request. */
  prefetch(): Promise<void> {
    return this.jwt?.prefetch() ?? Promise.resolve();
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const apiKey = this.apiKey;
    const key = apiKey ? presentedKey(req, apiKey.in) : undefined;
    if (apiKey && key !== undefined) {
      if (key === null) return this.invalid('API key sent more than once', apiKey.in);
      const found = apiKey.keys.lookup(key);
      if (!found) return this.invalid('unknown API key', apiKey.in);
      const removeHeaders = !apiKey.forward && 'header' in apiKey.in ? [apiKey.in.header] : [];
      const url = !apiKey.forward && 'query' in apiKey.in ? removeQueryParam(req.url, apiKey.in.query) : req.url;
      return this.allowed({ ok: true, consumer: found.consumer, via: 'api-key', removeHeaders, url });
    }
    const token = this.jwt ? bearerToken(req.headers['authorization']) : undefined;
    if (token !== undefined) {
      const result = await this.jwt!.verify(token);
      if (!result.ok) {
        if (result.unavailable) {
          return { ok: false, status: 503, code: ErrorCodes.GW_AUTH_UNAVAILABLE, message: 'the keys to check this token cannot be loaded right now', headers: { 'retry-after': '5' } };
        }
        return this.invalid(result.reason);
      }
      return this.allowed({ ok: true, consumer: result.consumer, via: 'jwt', claims: result.claims, removeHeaders: this.forwardJwt ? [] : ['authorization'], url: req.url });
    }
    return { ok: false, status: 401, code: ErrorCodes.GW_AUTH_REQUIRED, message: 'this API requires authentication', headers: { 'www-authenticate': this.challenges() } };
  }

  private allowed(result: Extract<AuthResult, { ok: true }>): AuthResult {
    if (this.allow && !this.allow.has(result.consumer)) {
      this.logger.debug({ consumer: result.consumer, via: result.via }, 'consumer not allowed');
      return { ok: false, status: 403, code: ErrorCodes.GW_FORBIDDEN, message: 'this consumer may not call this API', headers: {} };
    }
    return result;
  }

  /** A refused credential: an API key that came in at `keyLocation`, else a JWT. */
  private invalid(reason: string, keyLocation?: ApiKeyLocation): AuthResult {
    // The reason is one of our fixed strings, never the credential.
    this.logger.debug({ via: keyLocation ? 'api-key' : 'jwt', reason }, 'credential refused');
    const challenge = keyLocation ? apiKeyChallenge(this.realm, keyLocation) : bearerChallenge(this.realm, { description: reason });
    return { ok: false, status: 401, code: ErrorCodes.GW_AUTH_INVALID, message: keyLocation ? 'invalid API key' : `invalid token: ${reason}`, headers: { 'www-authenticate': challenge } };
  }

  private challenges(): string | string[] {
    const list: string[] = [];
    if (this.jwt) list.push(bearerChallenge(this.realm));
    if (this.apiKey) list.push(apiKeyChallenge(this.realm, this.apiKey.in));
    return list.length === 1 ? list[0]! : list;
  }
}

/** The API key a request presents: undefined for none, null when ambiguous (sent twice). Header names are lower-case, as Node's. */
function presentedKey(req: AuthRequest, location: ApiKeyLocation): string | undefined | null {
  if ('header' in location) {
    const v = req.headers[location.header];
    if (Array.isArray(v)) return v.length === 1 ? v[0] : null;
    return v === undefined || v === '' ? undefined : v;
  }
  const values = queryParamValues(req.url, location.query);
  if (values.length > 1) return null;
  return values[0] === '' ? undefined : values[0];
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive); undefined for anything else. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return m?.[1];
}
