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

/** Checks the registered claims (RFC 7519 §4.1) at `nowSec`; the consumer id, or why the token is refused. */
export function checkClaims(payload: Record<string, unknown>, rules: ClaimRules, nowSec: number): { consumer: string } | { error: string } {
  const { exp, nbf, iss, aud } = payload;
  if (exp !== undefined && typeof exp !== 'number') return { error: 'malformed exp' };
  if (nbf !== undefined && typeof nbf !== 'number') return { error: 'malformed nbf' };
  if (exp === undefined && rules.requireExp) return { error: 'token has no expiry' };
  if (typeof exp === 'number' && nowSec > exp + rules.clockSkewSec) return { error: 'token expired' };
  if (typeof nbf === 'number' && nowSec + rules.clockSkewSec < nbf) return { error: 'token not yet valid' };
  if (rules.issuers.length > 0 && (typeof iss !== 'string' || !rules.issuers.includes(iss))) return { error: 'wrong issuer' };
  if (rules.audiences.length > 0) {
    const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!list.some((a) => typeof a === 'string' && rules.audiences.includes(a))) return { error: 'wrong audience' };
  }
  const consumer = payload[rules.consumerClaim];
  if (typeof consumer !== 'string' || consumer === '' || consumer.length > 256) return { error: `no ${rules.consumerClaim} claim` };
  // It travels to the upstream in a header: printable ASCII only.
  if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(consumer)) return { error: `${rules.consumerClaim} claim is not printable ASCII` };
  return { consumer };
}
