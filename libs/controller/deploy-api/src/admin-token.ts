import { createHash, randomBytes } from 'node:crypto';

/** Named tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'gwt_';
/** 32 random bytes: far beyond guessing, which is why a single SHA-256 is the right hash. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^gwt_[A-Za-z0-9_-]{43}$/;

/** The actor names of the bootstrap token and of disabled auth: no named token may take them. */
export const BOOTSTRAP_ACTOR = 'admin';
export const ANONYMOUS_ACTOR = 'anonymous';
export const RESERVED_TOKEN_NAMES: readonly string[] = [BOOTSTRAP_ACTOR, ANONYMOUS_ACTOR];

/** A slug: lower-case letters, digits and inner hyphens, 1 to 63 characters. */
export const TOKEN_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isTokenName(name: string): boolean {
  return TOKEN_NAME_PATTERN.test(name);
}

/** A new secret: the prefix and 32 random bytes in base64url (47 characters). */
export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** True when the string could be a named token (checked before any database lookup). */
export function looksLikeNamedToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

/** What the database stores and looks tokens up by: SHA-256, lower-case hex. */
export function hashTokenSecret(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
