import { errors, type JWTPayload, type JWTVerifyOptions } from 'jose';

/** What a JWT's claims must satisfy. */
export interface ClaimRules {
  /** Accepted `iss` values; empty = not checked. */
  issuers: readonly string[];
  /** At least one `aud` must be among these; empty = not checked. */
  audiences: readonly string[];
  /** Tolerance for clock differences on exp and nbf, in seconds. */
  clockSkewSec: number;
  /** Refuse tokens without `exp` (tokens that never expire). */
  requireExp: boolean;
  /** The claim holding the consumer id (default `sub`). */
  consumerClaim: string;
}

/** jose checks the registered claims (RFC 7519 §4.1) with these options, at `nowSec`. */
export function claimOptions(rules: ClaimRules, nowSec: number): JWTVerifyOptions {
  return {
    issuer: rules.issuers.length > 0 ? [...rules.issuers] : undefined,
    audience: rules.audiences.length > 0 ? [...rules.audiences] : undefined,
    clockTolerance: rules.clockSkewSec,
    currentDate: new Date(nowSec * 1000),
    requiredClaims: rules.requireExp ? ['exp'] : [],
  };
}

/**
 * Our fixed reason for a claim jose refused, or undefined for another error. Never jose's
 * message: reasons reach the client in `WWW-Authenticate`.
 */
export function claimProblem(err: unknown): string | undefined {
  if (!(err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired)) return undefined;
  switch (err.claim) {
    case 'exp':
      return err.reason === 'missing' ? 'token has no expiry' : err.reason === 'invalid' ? 'malformed exp' : 'token expired';
    case 'nbf':
      return err.reason === 'invalid' ? 'malformed nbf' : 'token not yet valid';
    case 'iss':
      return 'wrong issuer';
    case 'aud':
      return 'wrong audience';
    default:
      return err.reason === 'invalid' ? `malformed ${err.claim}` : `${err.claim} claim refused`;
  }
}

/** The consumer the token names in `claim`, or why it names none. */
export function consumerOf(payload: JWTPayload, claim: string): { consumer: string } | { error: string } {
  const consumer = payload[claim];
  if (typeof consumer !== 'string' || consumer === '' || consumer.length > 256) return { error: `no ${claim} claim` };
  // It travels to the upstream in a header: printable ASCII only.
  if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(consumer)) return { error: `${claim} claim is not printable ASCII` };
  return { consumer };
}
