import { ErrorCodes, GatewayError, type ErrorCode } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import { ApiKeySet, type ApiKeyLocation, type ApiKeyPolicy } from './api-keys.js';
import { apiKeyChallenge, bearerChallenge } from './challenges.js';
import { queryParamValues, removeQueryParam } from './consumer-identity.js';
import type { JwksCacheRegistry } from './jwks-cache.js';
import { JwtVerifier, type JwtPolicy } from './jwt-verifier.js';

/** An API's authentication policy, as the API definition states it. */
export interface AuthPolicy {
  apiKey?: ApiKeyPolicy & {
    /** Forward the key to the upstream. Default false: it is removed. */
    forward?: boolean;
  };
  jwt?: JwtPolicy & {
    /** Forward the `Authorization` header to the upstream. Default true (upstreams may read claims). */
    forward?: boolean;
  };
  /** Consumers allowed to call this API; absent = every authenticated consumer. */
  allowConsumers?: string[];
  /** The `realm` of the challenges. Default: the API name. */
  realm?: string;
}

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
}

/**
 * The authentication of one API, built from one snapshot. Accepts an API key (when the
 * policy has keys and the request carries one) or else a Bearer JWT, then applies the
 * consumer allow-list. Never logs a credential.
 */
export class Authenticator {
  private readonly keys: ApiKeySet | undefined;
  private readonly keyLocation: ApiKeyLocation;
  private readonly forwardKey: boolean;
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
    if (!policy.apiKey && !policy.jwt) throw new GatewayError(ErrorCodes.GW_VALIDATION, 'auth: needs apiKey or jwt');
    this.keys = policy.apiKey ? new ApiKeySet(policy.apiKey.keys) : undefined;
    const loc = policy.apiKey?.in ?? { header: 'x-api-key' };
    this.keyLocation = 'header' in loc ? { header: loc.header.toLowerCase() } : { query: loc.query };
    this.forwardKey = policy.apiKey?.forward ?? false;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'auth', api });
    this.jwt = policy.jwt ? new JwtVerifier(policy.jwt, { logger: this.logger, ...(deps.jwks ? { jwks: deps.jwks } : {}), ...(deps.nowSec ? { nowSec: deps.nowSec } : {}) }) : undefined;
    this.forwardJwt = policy.jwt?.forward ?? true;
    this.allow = policy.allowConsumers ? new Set(policy.allowConsumers) : undefined;
    this.realm = policy.realm ?? api;
  }

  /** Starts fetching JWKS keys ahead of the first request. */
  prefetch(): Promise<void> {
    return this.jwt?.prefetch() ?? Promise.resolve();
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    const key = this.keys ? this.presentedKey(req) : undefined;
    if (key !== undefined) {
      if (key === null) return this.invalid('api-key', 'API key sent more than once');
      const found = this.keys!.lookup(key);
      if (!found) return this.invalid('api-key', 'unknown API key');
      const removeHeaders = !this.forwardKey && 'header' in this.keyLocation ? [this.keyLocation.header] : [];
      const url = !this.forwardKey && 'query' in this.keyLocation ? removeQueryParam(req.url, this.keyLocation.query) : req.url;
      return this.allowed({ ok: true, consumer: found.consumer, via: 'api-key', removeHeaders, url });
    }
    const token = this.jwt ? bearerToken(req.headers['authorization']) : undefined;
    if (token !== undefined) {
      const result = await this.jwt!.verify(token);
      if (!result.ok) {
        if (result.unavailable) {
          return { ok: false, status: 503, code: ErrorCodes.GW_AUTH_UNAVAILABLE, message: 'the keys to check this token cannot be loaded right now', headers: { 'retry-after': '5' } };
        }
        return this.invalid('jwt', result.reason);
      }
      return this.allowed({ ok: true, consumer: result.consumer, via: 'jwt', claims: result.claims, removeHeaders: this.forwardJwt ? [] : ['authorization'], url: req.url });
    }
    return { ok: false, status: 401, code: ErrorCodes.GW_AUTH_REQUIRED, message: 'this API requires authentication', headers: { 'www-authenticate': this.challenges() } };
  }

  /** undefined: no key; null: ambiguous (sent twice). */
  private presentedKey(req: AuthRequest): string | undefined | null {
    if ('header' in this.keyLocation) {
      const v = req.headers[this.keyLocation.header];
      if (Array.isArray(v)) return v.length === 1 ? v[0] : null;
      return v === undefined || v === '' ? undefined : v;
    }
    const values = queryParamValues(req.url, this.keyLocation.query);
    if (values.length > 1) return null;
    return values[0] === '' ? undefined : values[0];
  }

  private allowed(result: Extract<AuthResult, { ok: true }>): AuthResult {
    if (this.allow && !this.allow.has(result.consumer)) {
      this.logger.debug({ consumer: result.consumer, via: result.via }, 'consumer not allowed');
      return { ok: false, status: 403, code: ErrorCodes.GW_FORBIDDEN, message: 'this consumer may not call this API', headers: {} };
    }
    return result;
  }

  private invalid(via: 'api-key' | 'jwt', reason: string): AuthResult {
    // The reason is one of our fixed strings, never the credential.
    this.logger.debug({ via, reason }, 'credential refused');
    const challenge = via === 'jwt' ? bearerChallenge(this.realm, { description: reason }) : apiKeyChallenge(this.realm, this.keyLocation);
    return { ok: false, status: 401, code: ErrorCodes.GW_AUTH_INVALID, message: via === 'jwt' ? `invalid token: ${reason}` : 'invalid API key', headers: { 'www-authenticate': challenge } };
  }

  private challenges(): string | string[] {
    const list: string[] = [];
    if (this.jwt) list.push(bearerChallenge(this.realm));
    if (this.keys) list.push(apiKeyChallenge(this.realm, this.keyLocation));
    return list.length === 1 ? list[0]! : list;
  }
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive); undefined for anything else. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return m?.[1];
}
