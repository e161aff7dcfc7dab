import type { JsonWebKey } from 'node:crypto';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import { importJwk, JWT_ALGORITHMS, type JwtAlgorithm, type VerificationKey } from './jwk.js';
import { JwksCache, type JwksCacheOptions } from './jwks-cache.js';
import { checkClaims, type ClaimRules } from './jwt-claims.js';
import { isSupportedAlgorithm, parseJwt, verifySignature } from './jws.js';

/** The JWT part of an API's authentication policy. */
export interface JwtPolicy {
  /** Inline JWKs (public keys, or `oct` secrets for HS256). */
  keys?: (JsonWebKey & { kid?: string; alg?: string })[];
  /** A JWKS document the runtime fetches and caches (keys rotate there). */
  jwksUrl?: string;
  /** Accepted issuers (`iss`); empty or absent = not checked. */
  issuers?: string[];
  /** Accepted audiences (`aud`); empty or absent = not checked. */
  audiences?: string[];
  /** Allowed algorithms; default all of HS256, RS256, ES256 (each key still allows only its own). */
  algorithms?: JwtAlgorithm[];
  /** Default 30 s. */
  clockSkewSec?: number;
  /** Refuse tokens without `exp`. Default true. */
  requireExp?: boolean;
  /** The claim naming the consumer. Default `sub`. */
  consumerClaim?: string;
}

export type JwtResult =
  | { ok: true; consumer: string; claims: Record<string, unknown> }
  /** `unavailable`: the keys could not be loaded at all (never fetched), so nothing could be checked. */
  | { ok: false; reason: string; unavailable: boolean };

export interface JwtVerifierDeps {
  logger?: Logger;
  /** Seconds since the epoch; default from `Date.now()`. */
  nowSec?: () => number;
  /** Shares JWKS caches between successive snapshots (see `JwksCacheRegistry`). */
  jwks?: JwksCacheRegistry;
}

/** Most keys tried for one token (a JWKS with many kid-less keys must not multiply the crypto per request). */
const MAX_KEYS_TRIED = 5;

/** Verifies compact JWS tokens against an API's JWT policy. */
export class JwtVerifier {
  private readonly inline: VerificationKey[];
  private readonly jwks: JwksCache | undefined;
  private readonly algorithms: ReadonlySet<string>;
  private readonly rules: ClaimRules;
  private readonly nowSec: () => number;

  constructor(policy: JwtPolicy, deps: JwtVerifierDeps = {}) {
    const fail = (why: string): never => {
      throw new GatewayError(ErrorCodes.GW_VALIDATION, `jwt: ${why}`);
    };
    if (!policy.keys?.length && !policy.jwksUrl) fail('needs inline keys or a jwksUrl');
    this.inline = (policy.keys ?? []).map((jwk, i) => {
      try {
        return importJwk(jwk);
      } catch (err) {
        return fail(`keys[${i}]: ${(err as Error).message}`);
      }
    });
    if (policy.jwksUrl !== undefined && !/^https?:\/\/[^/@?#]+(?:[/?#]|$)/.test(policy.jwksUrl)) fail('jwksUrl must be an http(s) URL without user-info');
    const logger = deps.logger ?? silentLogger;
    this.jwks = policy.jwksUrl ? (deps.jwks ?? new JwksCacheRegistry({ logger })).get(policy.jwksUrl) : undefined;
    const algorithms = policy.algorithms ?? [...JWT_ALGORITHMS];
    for (const a of algorithms) if (!isSupportedAlgorithm(a)) fail(`algorithm ${String(a)} is not supported`);
    this.algorithms = new Set(algorithms);
    this.rules = {
      issuers: policy.issuers ?? [],
      audiences: policy.audiences ?? [],
      clockSkewSec: policy.clockSkewSec ?? 30,
      requireExp: policy.requireExp ?? true,
      consumerClaim: policy.consumerClaim ?? 'sub',
    };
    if (!(this.rules.clockSkewSec >= 0 && this.rules.clockSkewSec <= 300)) fail('clockSkewSec must be 0-300');
    this.nowSec = deps.nowSec ?? (() => Date.now() / 1000);
  }

  /** Starts fetching the JWKS (so the first request does not wait for it). */
  prefetch(): Promise<void> {
    return this.jwks?.refresh() ?? Promise.resolve();
  }

  async verify(token: string): Promise<JwtResult> {
    const invalid = (reason: string): JwtResult => ({ ok: false, reason, unavailable: false });
    const jwt = parseJwt(token);
    if ('error' in jwt) return invalid(jwt.error);
    const alg = jwt.header.alg;
    // "none", and anything not explicitly allowed, is refused before any key is looked at.
    if (!isSupportedAlgorithm(alg) || !this.algorithms.has(alg)) return invalid('algorithm not allowed');
    const kid = jwt.header.kid;
    let keys = pick(this.inline, kid);
    if (this.jwks) {
      const remote = await this.jwks.candidates(kid);
      if (remote === undefined && keys.length === 0) return { ok: false, reason: 'signing keys unavailable', unavailable: true };
      keys = keys.concat(remote ?? []);
    }
    keys = keys.filter((k) => k.alg === alg).slice(0, MAX_KEYS_TRIED);
    if (keys.length === 0) return invalid('no key for this token');
    if (!keys.some((k) => verifySignature(alg, k, jwt.signingInput, jwt.signature))) return invalid('bad signature');
    const claims = checkClaims(jwt.payload, this.rules, this.nowSec());
    if ('error' in claims) return invalid(claims.error);
    return { ok: true, consumer: claims.consumer, claims: jwt.payload };
  }
}

/** Keys with the token's kid; keys without a kid match any token. */
function pick(keys: VerificationKey[], kid: string | undefined): VerificationKey[] {
  if (kid === undefined) return keys;
  return keys.filter((k) => k.kid === kid || k.kid === undefined);
}

/**
 * One JWKS cache per URL for the runtime's lifetime, so a redeploy that rebuilds the
 * authenticators does not refetch every key set.
 */
export class JwksCacheRegistry {
  private readonly caches = new Map<string, JwksCache>();

  constructor(private readonly defaults: Omit<JwksCacheOptions, 'url'> = {}) {}

  get(url: string): JwksCache {
    let cache = this.caches.get(url);
    if (!cache) {
      cache = new JwksCache({ ...this.defaults, url });
      this.caches.set(url, cache);
    }
    return cache;
  }
}
