import type { JwtAuth } from '@gw/api-schema';
import { silentLogger, type Logger } from '@gw/logging';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { importKeys, type VerificationKey } from './jwk.js';
import { JwksCacheRegistry, type JwksCache } from './jwks-cache.js';
import { claimOptions, claimProblem, consumerOf, type ClaimRules } from './jwt-claims.js';

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

/** Tokens longer than this are refused before any parsing or crypto. */
export const MAX_TOKEN_LENGTH = 8192;

/** Most keys tried for one token (a JWKS with many kid-less keys must not multiply the crypto per request). */
const MAX_KEYS_TRIED = 5;

/**
 * Verifies compact JWS tokens against an API's `policies.auth.jwt` block, as the schema
 * normalizes it (inline keys already checked, `jwksUrl` null when there is none). jose
 * parses the token, checks the signature and the registered claims; the choice of keys,
 * the refusals before any key is read, and the consumer claim are ours.
 */
export class JwtVerifier {
  /** Imported once per policy build; an inline key that cannot be imported is skipped and logged. */
  private readonly inline: Promise<VerificationKey[]>;
  private readonly jwks: JwksCache | undefined;
  private readonly algorithms: ReadonlySet<string>;
  private readonly rules: ClaimRules;
  private readonly nowSec: () => number;

  constructor(policy: JwtAuth, deps: JwtVerifierDeps = {}) {
    this.algorithms = new Set(policy.algorithms);
    this.rules = {
      issuers: policy.issuers,
      audiences: policy.audiences,
      clockSkewSec: policy.clockSkewSec,
      requireExp: policy.requireExp,
      consumerClaim: policy.consumerClaim,
    };
    this.nowSec = deps.nowSec ?? (() => Date.now() / 1000);
    const logger = deps.logger ?? silentLogger;
    this.jwks = policy.jwksUrl === null ? undefined : (deps.jwks ?? new JwksCacheRegistry({ logger })).get(policy.jwksUrl);
    this.inline = importKeys(policy.keys, logger);
  }

  /** Imports the inline keys and starts fetching the JWKS (so the first request does not wait for them). */
  async prefetch(): Promise<void> {
    await Promise.all([this.inline, this.jwks?.refresh()]);
  }

  async verify(token: string): Promise<JwtResult> {
    const invalid = (reason: string): JwtResult => ({ ok: false, reason, unavailable: false });
    if (token.length > MAX_TOKEN_LENGTH) return invalid('token too long');
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return invalid('malformed token');
    }
    // Critical extensions must make the token invalid unless implemented (RFC 7515 §4.1.11);
    // we implement none, where jose would accept "b64".
    if (header.crit !== undefined) return invalid('unsupported critical header');
    const { alg, kid } = header;
    if (typeof alg !== 'string' || (kid !== undefined && typeof kid !== 'string')) return invalid('malformed token header');
    // "none", and anything not explicitly allowed, is refused before any key is looked at.
    if (!this.algorithms.has(alg)) return invalid('algorithm not allowed');
    let keys = pick(await this.inline, kid);
    if (this.jwks) {
      const remote = await this.jwks.candidates(kid);
      if (remote === undefined && keys.length === 0) return { ok: false, reason: 'signing keys unavailable', unavailable: true };
      keys = keys.concat(remote ?? []);
    }
    // Only keys whose type allows the token's algorithm (an HS256 token never meets an RSA key).
    keys = keys.filter((k) => k.alg === alg).slice(0, MAX_KEYS_TRIED);
    if (keys.length === 0) return invalid('no key for this token');
    const options = claimOptions(this.rules, this.nowSec());
    for (const k of keys) {
      let payload: JWTPayload;
      try {
        // Each key verifies exactly its own algorithm, whatever else jose allows for its type.
        ({ payload } = await jwtVerify(token, k.key, { ...options, algorithms: [k.alg] }));
      } catch (err) {
        if (err instanceof errors.JWSSignatureVerificationFailed) continue;
        return invalid(refusal(err));
      }
      const consumer = consumerOf(payload, this.rules.consumerClaim);
      return 'error' in consumer ? invalid(consumer.error) : { ok: true, consumer: consumer.consumer, claims: payload };
    }
    return invalid('bad signature');
  }
}

/** A fixed reason for a token jose refused (its messages may quote the token's claims). */
function refusal(err: unknown): string {
  const claim = claimProblem(err);
  if (claim !== undefined) return claim;
  if (err instanceof errors.JWTInvalid) return 'malformed token payload';
  if (err instanceof errors.JWSInvalid) return 'malformed token';
  return 'invalid token';
}

/** Keys with the token's kid; keys without a kid match any token. */
function pick(keys: VerificationKey[], kid: string | undefined): VerificationKey[] {
  if (kid === undefined) return keys;
  return keys.filter((k) => k.kid === kid || k.kid === undefined);
}
